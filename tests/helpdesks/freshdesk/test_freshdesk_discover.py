"""Freshdesk discovery while the list moves under it: ticketbot's own writes (and
agents') send tickets to the end of an ``updated_at`` list, so offset paging would skip unread
ones. The adapter pages by ``updated_at`` (keyset), and where it cannot (a page within one
second) its cursor never passes a ticket it may have skipped."""

from __future__ import annotations

from contextlib import closing

import pytest
from support.clock import FakeClock

from ticket_processor.helpdesks.freshdesk.adapter import FreshdeskHelpdesk
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.freshdesk.wire import FreshdeskTransport
from ticket_processor.models import Cursor

START = 1_800_000_000.0

# ``desk``: the Freshdesk sandbox itself, on the fake ``clock`` below.
pytestmark = pytest.mark.desk(kinds=("freshdesk",), seed=None, clock="clock", raw=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


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
