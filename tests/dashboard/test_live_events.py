"""The dashboard's live updates over HTTP (``/events``, Server-Sent Events) on a real uvicorn
server (port 0), over a store another handle writes, as a run or ``serve`` in another process
would: one event per decision naming its ticket, the catch-up from ``Last-Event-ID`` after a
drop, the bound on listeners (503), and nothing for a client that has not signed in. The
real-browser side (a row appears without a reload) is in test_live_browser.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.dashboard import TOKEN, bearer

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app

ACCOUNT = "zendesk:127.0.0.1"
WAIT = httpx.Timeout(30, read=20)


def _decide(state: Path, *tickets: int, run_id: str = "r1") -> None:
    """Decisions stored through a handle of their own (the dashboard holds another)."""
    now = datetime.now(UTC)
    with AuditStore.open(None, state_dir=state, account=ACCOUNT) as store:
        store.upsert_runs([{"run_id": run_id, "helpdesk": "zendesk", "started_at": now}])
        store.upsert_decisions(
            [
                {
                    "run_id": run_id,
                    "at": now,
                    "helpdesk": "zendesk",
                    "status": "written",
                    "ticket_id": ticket,
                    "subject": f"ticket {ticket}",
                    "category": "billing",
                    "decision": "applied",
                }
                for ticket in tickets
            ]
        )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    _decide(tmp_path / "state", 1, 2)
    return tmp_path / "state"


def _board(state: Path, live_clients: int = 200) -> Iterator[str]:
    app = build_app(
        DashboardConfig(
            open_store=lambda: AuditStore.open(None, state_dir=state, account=ACCOUNT),
            access=Access(token=TOKEN),
            live_clients=live_clients,
        )
    )
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def board(state: Path) -> Iterator[str]:
    yield from _board(state)


def _events(lines: Iterator[str], count: int) -> list[dict[str, Any]]:
    """The next ``count`` decision events of a stream (pings and comments skipped)."""
    found: list[dict[str, Any]] = []
    event: dict[str, Any] = {}
    for line in lines:
        if not line:
            if event.get("event") == "decision":
                found.append({"id": int(event["id"]), **json.loads(event["data"])})
                if len(found) == count:
                    return found
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")
    raise AssertionError(f"the stream ended after {found}")


def test_each_decision_stored_elsewhere_is_one_event_naming_its_ticket(
    board: str, state: Path
) -> None:
    with httpx.stream("GET", board + "/events", headers=bearer(), timeout=WAIT) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        _decide(state, 7, 8, run_id="r2")
        got = _events(stream.iter_lines(), 2)
    assert [e["ticket_id"] for e in got] == [7, 8]
    assert got[0]["id"] < got[1]["id"]
    assert {e["helpdesk"] for e in got} == {"zendesk"}
    assert {e["category"] for e in got} == {"billing"}


def test_a_page_that_comes_back_gets_what_it_missed(board: str, state: Path) -> None:
    with httpx.stream("GET", board + "/events", headers=bearer(), timeout=WAIT) as stream:
        _decide(state, 3, run_id="r2")
        (seen,) = _events(stream.iter_lines(), 1)
    # Dropped; meanwhile two more decisions; the browser comes back with the last id it saw.
    _decide(state, 4, 5, run_id="r3")
    again = {**bearer(), "last-event-id": str(seen["id"])}
    with httpx.stream("GET", board + "/events", headers=again, timeout=WAIT) as stream:
        missed = _events(stream.iter_lines(), 2)
    assert [e["ticket_id"] for e in missed] == [4, 5]
    assert all(e["id"] > seen["id"] for e in missed)


def test_past_the_bound_a_listener_is_refused_with_503(state: Path) -> None:
    for url in _board(state, live_clients=2):
        with (
            httpx.stream("GET", url + "/events", headers=bearer(), timeout=WAIT) as one,
            httpx.stream("GET", url + "/events", headers=bearer(), timeout=WAIT) as two,
        ):
            assert (one.status_code, two.status_code) == (200, 200)
            extra = httpx.get(url + "/events", headers=bearer(), timeout=WAIT)
            assert extra.status_code == 503
            assert extra.headers["retry-after"]
        # The two gone, a page is let in again.
        for _ in range(50):
            with httpx.stream("GET", url + "/events", headers=bearer(), timeout=WAIT) as back:
                if back.status_code == 200:
                    break
        assert back.status_code == 200


def test_a_client_not_signed_in_gets_nothing(board: str, state: Path) -> None:
    anonymous = httpx.get(board + "/events", timeout=WAIT)
    assert anonymous.status_code == 401
    assert "decision" not in anonymous.text
    wrong = httpx.get(board + "/events", headers=bearer("x" * 32), timeout=WAIT)
    assert wrong.status_code == 401
    page = httpx.get(board + "/tickets", timeout=WAIT)
    assert page.status_code == 401  # the pages alike, once a token is set
