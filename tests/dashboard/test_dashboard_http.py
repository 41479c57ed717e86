"""The dashboard's HTTP face on a real uvicorn server (port 0), over a store written through
the store's own API: access rules, escaping, CSRF and origin checks, security headers, the
filters as a URL, and the command's refusals before it listens. Fast: no run, no helpdesk (the
end-to-end file does both)."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from support.cli import invoke
from support.damage import damage_pages
from support.dashboard import IMG, LINK, SCRIPT, TOKEN, bearer, csrf_of, rows_of
from support.ports import held_refused_port

from ticket_processor.audit.queries import DecisionQuery
from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.review import ReviewDesk
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.writeback.label_review import ReviewOutcome
from ticket_processor.writeback.planner import ReviewedLabel

ACCOUNT = "zendesk:127.0.0.1"


class RecordingReviewer:
    """The review path's one fake: records what it was asked to write, writes nothing."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, ReviewedLabel]] = []

    def apply(self, ticket_id: int, label: ReviewedLabel) -> ReviewOutcome:
        self.asked.append((ticket_id, label))
        return ReviewOutcome(ticket_id, True, "20261125T000000Z-review")


def _fill(state: Path) -> None:
    now = datetime.now(UTC)
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        store.upsert_runs([{"run_id": "r1", "helpdesk": "zendesk", "started_at": now}])
        common = {"run_id": "r1", "at": now, "helpdesk": "zendesk", "status": "written"}
        store.upsert_decisions(
            [
                {
                    **common,
                    "ticket_id": 1,
                    "subject": SCRIPT,
                    "category": "billing",
                    "category_decision": "suggested",
                    "field_confidence": {"category": 0.7},
                    "field_decisions": {"category": "suggested"},
                    "decision": "suggested",
                    "ticket_url": LINK,
                },
                {
                    **common,
                    "ticket_id": 5,
                    "subject": "An answer",
                    "category": "how_to",
                    "decision": "applied",
                    "answer": "<b>Go to Settings</b> then Export.",
                    "answer_state": "drafted",
                },
                {
                    **common,
                    "ticket_id": 4,
                    "subject": "Two suggestions",
                    "category": "refund",
                    "urgency": "high",
                    "field_confidence": {"category": 0.6, "urgency": 0.55},
                    "field_decisions": {"category": "suggested", "urgency": "suggested"},
                    "decision": "suggested",
                },
                {
                    **common,
                    "ticket_id": 2,
                    "subject": IMG,
                    "category": "bug",
                    "decision": "applied",
                },
                {
                    **common,
                    "ticket_id": 3,
                    "subject": "Dry",
                    "category": "bug",
                    "mode": "dry-run",
                    "status": "dry-run",
                    "run_id": "dry",
                },
            ]
        )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    _fill(tmp_path / "state")
    return tmp_path / "state"


def _serve(state: Path, access: Access, reviewer: RecordingReviewer | None = None) -> Iterator[str]:
    choices = {"category": ["billing", "bug", "refund"], "urgency": ["low", "high"]}
    desk = ReviewDesk(reviewer, choices) if reviewer else None
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
            access=access,
            review=desk,
        )
    )
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def read_only(state: Path) -> Iterator[str]:
    yield from _serve(state, Access(token=None))


@pytest.fixture
def reviewer() -> RecordingReviewer:
    return RecordingReviewer()


@pytest.fixture
def with_review(state: Path, reviewer: RecordingReviewer) -> Iterator[str]:
    yield from _serve(state, Access(token=TOKEN, review=True), reviewer)


def test_read_only_pages_escape_everything_from_tickets(read_only: str) -> None:
    page = httpx.get(read_only + "/tickets", timeout=30)
    assert page.status_code == 200
    assert set(rows_of(page.text)) == {1, 2, 4, 5}  # the dry run wrote nothing: not listed
    for hostile in (SCRIPT, IMG):
        assert hostile not in page.text
        assert escape(hostile) in page.text
    ticket = httpx.get(read_only + "/tickets/1", timeout=30)
    # The page's title is its name alone: a section of the page once sat in <title>.
    assert re.search(r"<title>(.*?)</title>", ticket.text, re.S)[1] == "Ticket 1 · ticketbot"  # type: ignore[index]
    assert f'href="{LINK}' not in ticket.text
    assert escape(LINK) in ticket.text
    headers = ticket.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    # Read-only: no review route, no form to write with.
    assert httpx.get(read_only + "/review", timeout=30).status_code == 404
    assert (
        httpx.post(read_only + "/review", data={"accept": "1:category"}, timeout=30).status_code
        == 404
    )
    # Loopback without sign-in answers loopback names only (no DNS rebinding).
    assert (
        httpx.get(read_only + "/", headers={"host": "evil.example"}, timeout=30).status_code == 421
    )


def test_the_filters_are_the_url(read_only: str) -> None:
    assert set(rows_of(httpx.get(read_only + "/tickets?category=bug", timeout=30).text)) == {2}
    suggested = httpx.get(read_only + "/tickets?decision=suggested&category=billing", timeout=30)
    assert set(rows_of(suggested.text)) == {1}
    assert set(rows_of(httpx.get(read_only + "/tickets?q=onerror", timeout=30).text)) == {2}
    assert set(rows_of(httpx.get(read_only + "/tickets?q=2", timeout=30).text)) == {2}


def test_the_overview_and_its_refresh(read_only: str) -> None:
    page = httpx.get(read_only + "/", timeout=30)
    assert page.status_code == 200
    assert 'data-refresh="30"' in page.text
    assert '<script src="/static/dashboard.js"' in page.text
    body = httpx.get(read_only + "/?partial=1", timeout=30)
    assert "<html" not in body.text
    assert 'data-kpi="decided"' in body.text
    for asset in ("/static/dashboard.css", "/static/dashboard.js", "/static/icon.svg"):
        assert httpx.get(read_only + asset, timeout=30).status_code == 200
    assert (
        "prefers-color-scheme:dark"
        in httpx.get(read_only + "/static/dashboard.css", timeout=30).text
    )


def test_with_the_review_queue_every_request_signs_in(with_review: str) -> None:
    assert httpx.get(with_review + "/tickets", timeout=30).status_code == 401
    assert (
        httpx.get(with_review + "/tickets", headers=bearer("wrong"), timeout=30).status_code == 401
    )
    assert httpx.get(with_review + "/tickets", headers=bearer(), timeout=30).status_code == 200
    browser = httpx.get(with_review + "/", headers={"accept": "text/html"}, timeout=30)
    assert browser.status_code == 303
    assert browser.headers["location"] == "/login"
    with httpx.Client(base_url=with_review) as client:
        assert client.post("/login", data={"token": "wrong"}).status_code == 401
        signed = client.post("/login", data={"token": TOKEN})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert TOKEN.lower() not in cookie
        assert client.get("/review").status_code == 200


def test_a_write_needs_the_csrf_token_and_the_own_origin(
    with_review: str, reviewer: RecordingReviewer
) -> None:
    with httpx.Client(base_url=with_review) as client:
        client.post("/login", data={"token": TOKEN})
        queue = client.get("/review").text
        assert 'data-ticket-id="1"' in queue
        assert escape(SCRIPT) in queue
        # The answers ticketbot drafted and did not send are listed with the suggestions.
        assert '<article class="answer" data-ticket-id="5">' in queue
        assert escape("<b>Go to Settings</b> then Export.") in queue
        token = csrf_of(queue)
        own = {"origin": with_review}
        assert client.post("/review", data={"accept": "1:category"}, headers=own).status_code == 403
        wrong = {"accept": "1:category", "csrf": "0" * 64}
        assert client.post("/review", data=wrong, headers=own).status_code == 403
        other = {"origin": "http://evil.example"}
        sent = {"accept": "1:category", "csrf": token}
        assert client.post("/review", data=sent, headers=other).status_code == 403
        assert client.post("/review", data=sent).status_code == 403  # a browser names its origin
        assert reviewer.asked == []
        done = client.post("/review", data=sent, headers=own)
        assert done.status_code == 303
    [(ticket_id, label)] = reviewer.asked
    assert ticket_id == 1
    assert label.field == "category"
    assert label.value == "billing"


def test_listens_before_the_store_opens(state: Path) -> None:
    opened = threading.Event()
    release = threading.Event()

    def slow_store() -> AuditStore:
        opened.set()
        release.wait(10)
        return AuditStore.open(None, state_dir=state, account=ACCOUNT)

    app = build_app(DashboardConfig(open_store=slow_store, access=Access(token=None)))
    with serve_in_thread(app) as url:
        assert httpx.get(url + "/healthz", timeout=30).text == "ok"
        assert not opened.is_set()  # nothing of the store before the first page
        release.set()
        assert httpx.get(url + "/tickets", timeout=20).status_code == 200
        assert opened.is_set()


def test_the_command_refuses_before_listening(tmp_path: Path) -> None:
    env = {"TICKETBOT_STATE_DIR": str(tmp_path / "state"), "TICKETBOT_LOG_DIR": str(tmp_path)}
    beyond = invoke("dashboard", "--host", "0.0.0.0", "--port", "0", env=env)  # noqa: S104  # noqa: S104
    assert beyond.exit_code == 2
    assert "TICKETBOT_DASHBOARD_TOKEN" in beyond.output
    review = invoke("dashboard", "--review", "--port", "0", env=env)
    assert review.exit_code == 2
    assert "--review" in review.output
    with socket.socket() as taken:  # a port another program listens on
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        busy = invoke("dashboard", "--port", port, env=env)
    assert busy.exit_code == 2, busy.output
    assert f"--port {port}: cannot listen" in busy.output
    assert "another program listens there" in busy.output
    assert "check that file" not in busy.output


def test_mounted_under_a_path_its_links_and_assets_follow(state: Path) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    inner = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
            access=Access(token=None),
        )
    )
    outer = Starlette(routes=[Mount("/dashboard", app=inner)])
    with serve_in_thread(outer) as url:
        page = httpx.get(url + "/dashboard/tickets?category=bug", timeout=30)
        assert set(rows_of(page.text)) == {2}
        assert 'href="/dashboard/tickets/2?helpdesk=zendesk"' in page.text
        assert 'href="/dashboard/static/dashboard.css"' in page.text
        assert httpx.get(url + "/dashboard/static/dashboard.css", timeout=30).status_code == 200
        overview = httpx.get(url + "/dashboard/", timeout=30)
        assert 'data-url="/dashboard/?partial=1"' in overview.text


def _decision_ids(state: Path) -> dict[int, int]:
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        page = store.list_decisions(DecisionQuery(limit=50))
    return {d.ticket_id: d.id for d in page.rows}


def test_bulk_accept_and_a_correction(
    with_review: str, reviewer: RecordingReviewer, state: Path
) -> None:
    ids = _decision_ids(state)
    with httpx.Client(base_url=with_review, headers={"origin": with_review}) as client:
        client.post("/login", data={"token": TOKEN})
        queue = client.get("/review").text
        token = csrf_of(queue)
        # The ticket with two suggested fields shows both; correct one to a value not offered:
        # refused, nothing asked of the helpdesk.
        assert f'value="{ids[4]}:urgency"' in queue
        bad = {"correct": f"{ids[4]}:category", f"value:{ids[4]}:category": "x", "csrf": token}
        refused = client.post("/review", data=bad)
        assert "is not a value category may take" in client.get(refused.headers["location"]).text
        assert reviewer.asked == []
        fix = {"correct": f"{ids[4]}:category", f"value:{ids[4]}:category": "bug", "csrf": token}
        client.post("/review", data=fix)
        bulk = {"bulk": "1", "item": [f"{ids[1]}:category", f"{ids[4]}:urgency"], "csrf": token}
        client.post("/review", data=bulk)
        after = client.get("/review").text
        assert 'data-ticket-id="4"' not in after
        assert 'data-ticket-id="1"' not in after
        overview = client.get("/").text
    asked = [(t, label.field, label.value, label.action) for t, label in reviewer.asked]
    assert asked == [
        (4, "category", "bug", "correct"),
        (1, "category", "billing", "accept"),
        (4, "urgency", "high", "accept"),
    ]
    # Each counts in the agreement figures: category one accepted, one corrected; urgency kept.
    assert 'data-agreement="category">50%<' in overview
    assert 'data-agreement="urgency">100%<' in overview


def _refused_postgres_url(secret: str) -> str:
    """A PostgreSQL URL at a local port nothing listens on, its password given as a query
    value (libpq's other way of passing it)."""
    port = held_refused_port()
    return f"postgresql://bot@127.0.0.1:{port}/x?password={secret}&connect_timeout=5"


def test_a_database_password_in_the_url_stays_off_the_unavailable_page(tmp_path: Path) -> None:
    secret = "hunter2-in-the-query"
    url = _refused_postgres_url(secret)
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(url, state_dir=tmp_path, account=ACCOUNT),
            access=Access(token=None),
        )
    )
    with serve_in_thread(app) as served:
        page = httpx.get(served + "/tickets", timeout=30)
    assert page.status_code == 503
    assert "the audit store postgresql+psycopg://bot@127.0.0.1" in page.text
    assert "password=***" in page.text
    assert secret not in page.text
    # Nor in ``report``, which says on stderr why it reads the logs instead.
    shown = invoke("report", "--since", "1h", env={"TICKETBOT_DATABASE_URL": url})
    assert "password=***" in shown.output
    assert secret not in shown.output


def test_a_store_out_of_reach_is_a_page_that_says_so(tmp_path: Path) -> None:
    from ticket_processor.audit.store import AuditStoreError

    def refused() -> AuditStore:
        raise AuditStoreError("cannot open the audit store postgresql://bot:***@db/x: refused")

    app = build_app(DashboardConfig(open_store=refused, access=Access(token=None)))
    with serve_in_thread(app) as url:
        page = httpx.get(url + "/tickets", timeout=30)
    assert page.status_code == 503
    assert "cannot open the audit store" in page.text
    assert "Traceback" not in page.text


@contextmanager
def _open_board(state: Path) -> Iterator[str]:
    """A dashboard on the store in ``state``, no token: its URL."""
    with serve_in_thread(
        build_app(
            DashboardConfig(
                open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
                access=Access(token=None),
            )
        )
    ) as url:
        yield url


def test_a_store_damaged_under_it_is_a_page_that_says_so_then_comes_back(state: Path) -> None:
    # A new user wrote over audit.sqlite3 while the dashboard served it: every page was a bare
    # 500 with a trace, and stayed one after a run had put a fresh store in its place.
    database = state / "audit.sqlite3"
    for name in ("audit.sqlite3-wal", "audit.sqlite3-shm"):
        (state / name).unlink(missing_ok=True)
    with _open_board(state) as url:
        assert httpx.get(url + "/tickets", timeout=30).status_code == 200
        good = database.read_bytes()
        database.write_bytes(b"garbage" * 1000)
        damaged = httpx.get(url + "/tickets", timeout=30)
        assert damaged.status_code == 503
        assert "could not be read" in damaged.text
        assert "Traceback" not in damaged.text
        database.write_bytes(good)  # the store back, as a run leaves a fresh one
        back = httpx.get(url + "/tickets", timeout=30)
        assert back.status_code == 200, back.text[:300]
        assert "Two suggestions" in back.text


def test_a_store_damaged_inside_is_a_page_that_says_what_to_do(state: Path) -> None:
    """Garbage over one page, the file still a database: the page names the file and how to
    start again from the logs, not SQLite's bare "malformed"."""
    for name in ("audit.sqlite3-wal", "audit.sqlite3-shm"):
        (state / name).unlink(missing_ok=True)
    damage_pages(state / "audit.sqlite3")
    with _open_board(state) as url:
        page = httpx.get(url + "/tickets", timeout=30)
    assert page.status_code == 503
    assert "audit.sqlite3 could not be read: it is damaged" in page.text
    assert "audit import" in page.text
    assert "Traceback" not in page.text


def test_a_store_set_aside_and_made_anew_is_the_one_shown(state: Path) -> None:
    """A cron run sets a damaged store aside and makes a new one while the dashboard serves:
    the dashboard's pooled connections still read the file set aside (a new user saw the old
    rows and "no decision" for a ticket serve had just stored) until it was restarted."""
    with _open_board(state) as url:
        assert "Two suggestions" in httpx.get(url + "/tickets", timeout=30).text
        aside = state / "aside"
        aside.mkdir()
        for path in state.glob("audit.sqlite3*"):
            path.rename(aside / path.name)
        now = datetime.now(UTC)
        with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
            store.upsert_runs([{"run_id": "r2", "helpdesk": "zendesk", "started_at": now}])
            store.upsert_decisions(
                [
                    {
                        "run_id": "r2",
                        "at": now,
                        "helpdesk": "zendesk",
                        "status": "written",
                        "ticket_id": 58,
                        "subject": "Stored after the set-aside",
                        "category": "billing",
                        "decision": "applied",
                    }
                ]
            )
        page = httpx.get(url + "/tickets", timeout=30)
        assert page.status_code == 200, page.text[:300]
        assert "Stored after the set-aside" in page.text
        assert "Two suggestions" not in page.text


def test_a_tickets_page_shows_every_note_of_ticketbots_and_no_one_elses() -> None:
    from ticket_processor.dashboard.from_helpdesk import shown_of
    from ticket_processor.incidents.notes import duplicate_note, member_note

    ours = [
        "ticketbot triage (LLM): billing",
        member_note(
            title="Login fails", group=7, reports=12, first_seen="09:00", url=None, kind="zendesk"
        ),
        duplicate_note(earlier=3, url="https://x/3", similarity=0.7, merged=False),
    ]
    agents = ["Thanks, ticketbot was right here", "ticketbotty"]
    (notes, error), summary = shown_of(lambda ticket_id: ([*ours, *agents], None), False, 1)
    assert (notes, error, summary) == (ours, "", None)


def test_an_empty_queue_points_to_the_triages_held_back_whole(
    tmp_path: Path, reviewer: RecordingReviewer
) -> None:
    """The overview counted a ticket held back for low confidence as a suggestion waiting;
    the queue, which lists fields to review, said "Nothing waits for a lead" (an outside
    review). It now says where that ticket waits."""
    state = tmp_path / "state"
    now = datetime.now(UTC)
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        store.upsert_runs([{"run_id": "r1", "helpdesk": "zendesk", "started_at": now}])
        store.upsert_decisions(
            [
                {
                    "run_id": "r1",
                    "at": now,
                    "helpdesk": "zendesk",
                    "status": "written",
                    "ticket_id": 9,
                    "subject": "Held back",
                    "category": "billing",
                    "field_decisions": {},
                    "decision": "suggested",
                }
            ]
        )
    for url in _serve(state, Access(token=TOKEN, review=True), reviewer):
        with httpx.Client(base_url=url, headers={"origin": url}) as client:
            client.post("/login", data={"token": TOKEN})
            assert 'data-kpi="waiting">1<' in client.get("/").text
            queue = client.get("/review").text
    assert "Nothing waits for a lead" not in queue
    assert "1 ticket whose triage was held back whole" in queue
    assert "/tickets?decision=suggested" in queue
