"""Freshdesk discovery while the list moves under it: ticketbot's own writes (and
agents') send tickets to the end of an ``updated_at`` list, so offset paging would skip unread
ones. The adapter pages by ``updated_at`` (keyset), and where it cannot (a page within one
second) its cursor never passes a ticket it may have skipped."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import pytest
from support.clock import FakeClock

from ticket_processor.helpdesks.freshdesk.adapter import FreshdeskHelpdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.models import Cursor

START = 1_800_000_000.0

# ``desk``: the Freshdesk sandbox itself, on the fake ``clock`` (tests/support/clock.py) at START.
pytestmark = [
    pytest.mark.desk(kinds=("freshdesk",), seed=None, clock="clock", raw=True),
    pytest.mark.clock(now=START),
]


def adapter(desk: RunningFreshdesk) -> FreshdeskHelpdesk:
    return FreshdeskHelpdesk(
        FreshdeskTransport(desk.url, api_key=desk.config.api_key), marker="ai_processed"
    )


def create(desk: RunningFreshdesk, clock: FakeClock, count: int, *, step: float) -> list[int]:
    ids = []
    for i in range(count):
        fields = {"subject": f"t{i}", "description": "body", "email": f"c{i}@example.com"}
        ids.append(desk.store.create(fields)["id"])
        clock.now += step
    return ids


def test_writes_during_discovery_skip_no_ticket(desk: RunningFreshdesk, clock: FakeClock) -> None:
    ids = create(desk, clock, 250, step=1.0)
    clock.now += 3600
    seen: list[int] = []
    helpdesk = adapter(desk)
    with closing(helpdesk):
        for page in helpdesk.ticket_pages(None, since=int(START) - 1):
            fresh = [t.id for t in page.tickets if t.id not in seen]
            seen += fresh
            for ticket_id in fresh:  # written before the next page is read, as a run does
                desk.store.update(ticket_id, {"tags": ["ai_processed"]})
            if all("ai_processed" in t.tags for t in page.tickets):
                break
    assert sorted(seen) == ids


def test_one_seconds_pages_are_read_before_any_is_written_and_the_cursor_stays_there(
    desk: RunningFreshdesk, clock: FakeClock
) -> None:
    ids = create(desk, clock, 250, step=0.0)  # a bulk import: one updated_at for all
    stamp = desk.store.find(ids[0])["updated_at"]
    clock.now += 60
    seen: set[int] = set()
    cursors = []
    helpdesk = adapter(desk)
    with closing(helpdesk):
        for page in helpdesk.ticket_pages(None, since=int(START) - 1):
            cursors.append(page.next_cursor.value if page.next_cursor else None)
            for ticket in page.tickets:
                if ticket.id not in seen:
                    seen.add(ticket.id)
                    desk.store.update(ticket.id, {"tags": ["ai_processed"]})
    assert cursors
    assert set(cursors) == {stamp}, cursors
    # The second's pages were all read before the first was written: none was shifted away
    # (it skipped 100 of 250 when page 2 was read after page 1's writes).
    assert seen == set(ids)
    # Another writer could still shift them: the cursor stays at the second, and the next run
    # reads all of it again.
    missed = set(ids)
    again = adapter(desk)
    with closing(again):
        second = {
            t.id
            for page in again.ticket_pages(Cursor("updated_since", stamp), since=int(START))
            for t in page.tickets
        }
    assert missed <= second


class _OtherShard(FreshdeskTransport):
    """The transport of a run beside which another backfill shard writes: once this run reads
    the first page of a second's tickets (its query from that second), that shard writes a
    quarter of the tickets the page showed (its own), as a concurrent ``backfill --shard``
    does, before this run reads the second's next page."""

    def __init__(self, desk: RunningFreshdesk) -> None:
        super().__init__(desk.url, api_key=desk.config.api_key)
        self.desk = desk
        self.wrote: list[int] = []
        self.lists = 0

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = super().request(method, path, **kwargs)
        if path == "/api/v2/tickets":
            self.lists += 1
        if path == "/api/v2/tickets" and self.lists == 2:
            for record in answer.body:
                if record["id"] % 4 == 1:
                    self.wrote.append(record["id"])
                    self.desk.store.update(record["id"], {"tags": ["ai_processed"]})
        return answer


def test_another_shards_writes_during_a_seconds_pages_skip_no_ticket(
    desk: RunningFreshdesk, clock: FakeClock
) -> None:
    ids = create(desk, clock, 250, step=0.0)  # a bulk import: one updated_at for all
    clock.now += 60
    wire = _OtherShard(desk)
    helpdesk = FreshdeskHelpdesk(wire, marker="ai_processed")
    with closing(helpdesk):
        pages = list(helpdesk.ticket_pages(None, since=int(START) - 1))
    seen = {ticket.id for page in pages for ticket in page.tickets}
    assert len(wire.wrote) == 25
    # The other shard's 25 writes slid 25 unread tickets of page 2 into page 1's places: read
    # by offset alone, they were never seen (and the backfill said it was complete).
    assert seen == set(ids)
