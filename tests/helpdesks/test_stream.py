"""The one discovery loop (``common.ticket_stream.TicketStream``) against the Zendesk sandbox.

``run``, ``backfill`` and ``learn --from-helpdesk`` read through it; here its own promises: a
spent read window is waited out (or ends the stream, said), a refused cursor restarts from
``since`` when the reader is told, and a ticket is met once however often it is listed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.clock import FakeClock

from ticket_processor.common.ticket_stream import TicketStream, holds_updates_since, is_paused
from ticket_processor.errors import CursorRejectedError
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Cursor, Ticket, TicketPage
from ticket_processor.zendesk import ZendeskHelpdesk

pytestmark = pytest.mark.sandbox(clock="fake_clock")


def helpdesk(sb: RunningSandbox, clock: FakeClock) -> ZendeskHelpdesk:
    client = ZendeskClient(sb.url, email=sb.config.email, api_token=sb.config.token)
    return ZendeskHelpdesk(
        client, marker="ai_processed", clock=clock, sleep=clock.sleep, page_size=10
    )


def create(sb: RunningSandbox, count: int) -> set[int]:
    return {
        int(sb.store.create({"subject": f"t{i}", "comment": {"body": "x"}})["id"])
        for i in range(count)
    }


def test_a_reader_that_waits_reads_past_the_export_window_to_the_end(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    created = create(sandbox, 130)  # 13 pages; Zendesk allows 10 exports a minute
    waits: list[float] = []

    def wait() -> bool:
        waits.append(fake_clock.now)
        fake_clock.advance(60)
        return True

    hd = helpdesk(sandbox, fake_clock)
    stream = TicketStream(hd, since=int(fake_clock.now) - 3600, wait_out_pause=wait)
    found = list(stream.pages(None))
    hd.close()
    assert len(waits) == 1
    assert not any(is_paused(page) for page in found)  # the pause is the stream's to handle
    ids = [t.id for page in found for t in page.tickets]
    assert sorted(ids) == sorted(created)  # each once: resumed after the last page read
    assert found[-1].last
    assert not stream.paused


def test_without_a_wait_the_pause_ends_the_stream_and_says_so(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    create(sandbox, 130)
    hd = helpdesk(sandbox, fake_clock)
    stream = TicketStream(hd, since=int(fake_clock.now) - 3600)
    found = list(stream.pages(None))
    refused = TicketStream(hd, since=int(fake_clock.now) - 3600, wait_out_pause=lambda: False)
    after_refusal = list(refused.pages(None))
    hd.close()
    assert is_paused(found[-1])  # handed out: a run logs it and stops for the read window
    assert stream.paused
    assert refused.paused
    assert not any(is_paused(page) for page in after_refusal)


def test_a_refused_cursor_is_told_and_the_stream_starts_again_from_since(
    sandbox: RunningSandbox, fake_clock: FakeClock
) -> None:
    created = create(sandbox, 3)
    bad = Cursor("incremental", "not a cursor!")
    told: list[str] = []
    hd = helpdesk(sandbox, fake_clock)
    since = int(fake_clock.now) - 3600
    with pytest.raises(CursorRejectedError):
        list(TicketStream(hd, since=since).pages(bad))  # a reader not told sees the error
    stream = TicketStream(hd, since=since, on_rejected=lambda exc: told.append(str(exc)))
    ids = {t.id for page in stream.pages(bad) for t in page.tickets}
    hd.close()
    assert ids == created
    assert len(told) == 1
    assert "refused" in told[0]


def test_a_ticket_is_met_once_and_a_resumed_reader_knows_its_own() -> None:
    stream = TicketStream(object(), since=0, seen=[7])  # type: ignore[arg-type]
    assert [stream.first_sighting(i) for i in (7, 8, 8, 9)] == [False, True, False, True]


def test_a_page_holding_a_ticket_updated_since_a_moment() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    before = (moment - timedelta(seconds=1)).isoformat()

    def page(*stamps: str | None) -> TicketPage:
        tickets = [
            Ticket(id=i, subject="s", description="d", updated_at=stamp)
            for i, stamp in enumerate(stamps, 1)
        ]
        return TicketPage(tickets, None)

    assert not holds_updates_since(page(before, None, "garbled"), moment)
    assert holds_updates_since(page(before, moment.isoformat()), moment)
    assert holds_updates_since(page("2026-01-01T00:00:05"), moment)  # naive: read as UTC
