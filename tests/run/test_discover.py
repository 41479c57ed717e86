"""Discovery against the sandbox: ``ZendeskHelpdesk.ticket_pages`` stays inside Zendesk's 10
incremental exports a minute on a fake clock (no real waiting), falls back to search on a 403,
and raises ``CursorRejectedError`` for a cursor Zendesk refuses; the pipeline stops at the
run's own write-backs (``discover_caught_up``) and saves the cursor after what it read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.clock import FakeClock
from support.events import Events

from ticket_processor.errors import CursorRejectedError
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Cursor, TicketPage
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.resilience.pacing import RequestWindow
from ticket_processor.resilience.runtime import Runtime
from ticket_processor.run.context import RunContext
from ticket_processor.run.pipeline import Pipeline
from ticket_processor.settings.variables import DEFAULT_CACHE_ENTRIES
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.triage.chain import LocalEngine, TriageCache
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.zendesk import ZendeskHelpdesk

pytestmark = pytest.mark.sandbox(clock="fake_clock")


def export_requests(sb: RunningSandbox) -> int:
    """The ticket export's requests (not the ticket event export that finds replies)."""
    found = sb.stats()["requests"].items()
    return sum(n for key, n in found if "incremental" in key and "ticket_events" not in key)


def export_pages_asked(hd: ZendeskHelpdesk, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ticket export's pages as the helpdesk asks for them (each page's query, once per
    page however often the transport retries it): the list fills as the run reads."""
    asked: list[str] = []
    http = hd.client.http
    request = http.request

    def counted(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if path.startswith("/api/v2/incremental/tickets/"):
            asked.append(repr(sorted(kwargs.get("params", {}).items())))
        return request(method, path, **kwargs)

    monkeypatch.setattr(http, "request", counted)
    return asked


def helpdesk(sb: RunningSandbox, clock: FakeClock) -> ZendeskHelpdesk:
    client = ZendeskClient(sb.url, email=sb.config.email, api_token=sb.config.token)
    return ZendeskHelpdesk(
        client, marker="ai_processed", clock=clock, sleep=clock.sleep, page_size=10
    )


def pages(sb: RunningSandbox, clock: FakeClock, cursor: Cursor | None = None) -> list[TicketPage]:
    """The pages from ``cursor`` (or an hour back), without the start page (checked here)."""
    since = int(clock.now) - 3600
    found = list(helpdesk(sb, clock).ticket_pages(cursor, since=since))
    if cursor is None:
        assert found[0] == TicketPage([], Cursor("incremental", None, since))
        return found[1:]
    return found


def create(sb: RunningSandbox, count: int) -> list[dict[str, Any]]:
    return [sb.store.create({"subject": f"t{i}", "comment": {"body": "x"}}) for i in range(count)]


def notices(found: list[TicketPage]) -> list[str]:
    return [event for page in found for event, _ in page.notices]


def test_a_first_run_saves_its_start_before_any_page(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    # Stopped inside the first page (here: before it), a run still has a cursor to save: its
    # start, so the next run goes on from the same point and not from its own default.
    create(sandbox, 5)
    since = int(fake_clock.now) - 7200
    first = next(helpdesk(sandbox, fake_clock).ticket_pages(None, since=since))
    assert first == TicketPage([], Cursor("incremental", None, since))
    assert export_requests(sandbox) == 0  # no request for it
    resumed = list(helpdesk(sandbox, fake_clock).ticket_pages(first.next_cursor, since=0))
    assert [len(p.tickets) for p in resumed] == [5]


def test_reads_to_the_end_page_by_page_each_with_the_cursor_after_it(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    create(sandbox, 25)
    found = pages(sandbox, fake_clock)
    assert [len(p.tickets) for p in found] == [10, 10, 5]
    assert [p.last for p in found] == [False, False, True]
    assert all(p.next_cursor is not None for p in found)
    assert notices(found) == []
    # The cursor after page 2 resumes with page 3, as the next run would.
    resumed = pages(sandbox, fake_clock, found[1].next_cursor)
    assert [t.id for p in resumed for t in p.tickets] == [t.id for t in found[2].tickets]


def test_an_eleventh_export_in_a_minute_waits_for_the_next_run_not_for_a_429(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    create(sandbox, 130)
    found = pages(sandbox, fake_clock)
    # 13 pages exist; the 11th would be past 10 a minute: a last, empty page says so.
    assert [len(p.tickets) for p in found] == [10] * 10 + [0]
    assert found[-1].last
    assert found[-1].next_cursor is None
    assert notices(found) == ["discover_paused"]
    assert export_requests(sandbox) == 10
    assert sandbox.stats()["rate_limited"] == 0
    assert fake_clock.sleeps == []


def test_a_short_wait_for_the_export_is_taken(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    create(sandbox, 130)
    found = []
    for page in helpdesk(sandbox, fake_clock).ticket_pages(None, since=int(fake_clock.now) - 60):
        found.append(page)
        fake_clock.advance(5.9)  # the pipeline works through a page: ten pages take 59 s
    assert [len(p.tickets) for p in found] == [0] + [10] * 13
    assert notices(found) == []
    assert fake_clock.sleeps == [pytest.approx(1.0)]  # the 11th waited for the 1st to age out
    assert sandbox.stats()["rate_limited"] == 0


def test_an_agents_token_falls_back_to_search_and_says_so(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    created = create(sandbox, 12)
    sandbox.store.update(created[0]["id"], {"tags": ["ai_processed"]})
    sandbox.config.admin = False  # the export answers 403
    found = pages(sandbox, fake_clock)
    assert notices(found) == ["discover_fallback"]
    assert "403" in found[0].notices[0][1]
    ids = {t.id for p in found for t in p.tickets}
    assert ids == {t["id"] for t in created[1:]}  # search leaves out what carries the marker
    assert all(p.next_cursor is None for p in found)  # search has no cursor to save
    requests = sandbox.stats()["requests"]
    assert any(key.startswith("GET /api/v2/search") for key in requests)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param(Cursor("incremental", "not a cursor!"), id="malformed-400"),
        pytest.param(Cursor("incremental", None, 4_000_000_000), id="future-start-422"),
    ],
)
def test_a_cursor_zendesk_refuses_raises_cursor_rejected(
    sandbox: RunningSandbox, fake_clock: FakeClock, cursor: Cursor
) -> None:
    create(sandbox, 3)
    with pytest.raises(CursorRejectedError, match="refused the saved export position"):
        pages(sandbox, fake_clock, cursor)
    # Without the cursor the same helpdesk reads from ``since``.
    assert [len(p.tickets) for p in pages(sandbox, fake_clock)] == [3]


def test_the_pipeline_stops_after_the_first_page_holding_the_runs_own_write_backs(
    sandbox: RunningSandbox, fake_clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create(sandbox, 25)
    # The sandbox stamps updated_at to the second on its clock: the run "began" one second
    # after the last creation, and each write-back below is stamped at or after that.
    last = max(datetime.fromisoformat(t["updated_at"]) for t in created)
    run_started = last + timedelta(seconds=1)
    fake_clock.advance(1)
    for ticket in created[:15]:
        sandbox.store.update(ticket["id"], {"tags": ["ai_processed"]})
    options = RunOptions(engine="rules", workers=2, since=run_started - timedelta(hours=1))
    ledger = RunLedger(tmp_path / "state")
    events = Events()
    hd = helpdesk(sandbox, fake_clock)
    pages_asked = export_pages_asked(hd, monkeypatch)
    pipeline = Pipeline(
        RunContext(
            helpdesk=hd,
            ledger=ledger,
            chain=[LocalEngine("rules", RulesEngine(load_taxonomy()))],
            cache=TriageCache(AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES), tag=""),
            planner=ChangePlanner(options, run_id="r1"),
            log=events,
            options=options,
            run_id="r1",
            runtime=Runtime(now=lambda: run_started),
            writer_flush_after=0.05,
        )
    )
    summary = pipeline.run()
    hd.close()
    # Page 1: the 10 untouched tickets; page 2: write-backs -> stop; page 3 is never asked for.
    # Counted as the pages asked, not the requests: on a starved machine the transport may send
    # one page's request again (a read cut short), which is not reading further.
    assert len(set(pages_asked)) == len(pages_asked) == 2
    assert "discover_caught_up" in events.names
    assert summary.stopped_early == "caught_up"
    assert (summary.triaged, summary.skipped, summary.exit_code) == (10, 10, 0)
    saved = ledger.load_cursor("zendesk")
    assert saved is not None
    assert saved.value


def test_request_window_counts_a_sliding_minute(fake_clock: FakeClock) -> None:
    fake_clock.now = 0.0
    window = RequestWindow(3, window=60.0, clock=fake_clock)
    for t in (0.0, 10.0, 20.0):
        fake_clock.now = t
        assert window.wait_time() == 0.0
        window.record()
    fake_clock.now = 30.0
    assert window.wait_time() == pytest.approx(30.0)  # the request at 0 ages out at 60
    fake_clock.now = 60.0
    assert window.wait_time() == 0.0
