"""``serve``'s list of agents: read at the start, read again once ``AGENTS_MAX_AGE`` old, and
unknown (no ticket answered) while it cannot be read, as a run whose agents cannot be read
answers nothing."""

from __future__ import annotations

from support.clock import FakeClock

from ticket_processor.answers.agents import AGENTS_MAX_AGE, RETRY_SECONDS, ReadAgents
from ticket_processor.errors import HelpdeskError, TicketBotError


class Roster:
    """The helpdesk's agents as a test sets them; ``down``: the read fails."""

    def __init__(self, *ids: int) -> None:
        self.ids = set(ids)
        self.reads = 0
        self.down = False

    def read(self) -> set[int]:
        self.reads += 1
        if self.down:
            raise HelpdeskError("the helpdesk answered 503", status_code=503)
        return set(self.ids)


def test_the_list_is_read_again_once_it_is_old() -> None:
    clock, roster = FakeClock(1000.0), Roster(7)
    agents = ReadAgents(roster.read, clock=clock)
    assert agents.ids() == frozenset({7})
    roster.ids.add(8)  # an agent added this morning
    clock.advance(AGENTS_MAX_AGE - 1)
    assert agents.ids() == frozenset({7})  # not yet read again: one read per period
    assert roster.reads == 1
    clock.advance(1)
    assert agents.ids() == frozenset({7, 8})
    assert roster.reads == 2


def test_an_unreadable_list_answers_no_ticket_until_it_is_read() -> None:
    clock, roster = FakeClock(1000.0), Roster(7)
    failed: list[TicketBotError] = []
    agents = ReadAgents(roster.read, clock=clock, on_error=failed.append)
    assert agents.ids() == frozenset({7})
    roster.down = True
    clock.advance(AGENTS_MAX_AGE)
    assert agents.ids() is None  # the old list may miss a new agent: unknown
    assert len(failed) == 1
    clock.advance(RETRY_SECONDS - 1)
    assert agents.ids() is None
    assert roster.reads == 2  # not read again before the retry is due
    roster.down = False
    clock.advance(1)
    assert agents.ids() == frozenset({7})
