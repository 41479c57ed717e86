"""Customers' replies found the same way on every helpdesk, through the ``Desk`` harness: the
requester's public reply is found, an agent's reply and an internal note never count as the
requester's, and an untriaged or solved ticket is never read."""

from __future__ import annotations

import pytest
from support.clock import FakeClock
from support.connected import connected

from ticket_processor.models import Helpdesk
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = [
    pytest.mark.desk(seed=None, clock="clock"),
    pytest.mark.clock(real_pause=0.001),
]

MARKER = "ai_processed"
# The triaged tickets each helpdesk's feed of changes hands over: Zendesk's event export names
# the author (only the requester's reply); Freshdesk cannot tell who changed a ticket (all
# changed since the last write); ServiceNow's journal of public comments names the author but
# holds an agent's comment as well (never a work note).
READ = {
    "zendesk": ("replied",),
    "freshdesk": ("replied", "answered", "noted"),
    "servicenow": ("replied", "answered"),
}


def adapter(desk: Desk, clock: FakeClock) -> Helpdesk:
    return connected(desk, marker=MARKER, clock=clock, sleep=clock.sleep)


def test_the_requesters_reply_is_found_on_either_helpdesk(desk: Desk, clock: FakeClock) -> None:
    since = int(clock.now) - 10
    triaged = NewTicket("Refund", "Charged twice", tags=(MARKER,))
    replied, answered, noted = desk.create([triaged, triaged, triaged])
    (untriaged,) = desk.create([NewTicket("Hello", "Anyone there?")])
    clock.advance(5)
    desk.requester_says(replied, "It happened again")
    desk.agent_replies(answered, "Refunded")
    desk.agent_notes(noted, "ledger checked")
    desk.requester_says(untriaged, "Hello?")
    clock.advance(61)  # past the minute Zendesk's event export leaves out
    helpdesk = adapter(desk, clock)
    pages = list(helpdesk.reply_pages(None, since=since, prefix="ai_", written=lambda _: None))
    helpdesk.close()
    found = {c.ticket.id: c for page in pages for c in page.conversations}
    assert untriaged not in found
    with_reply = sorted(t for t, c in found.items() if any(m.from_requester for m in c.messages))
    assert with_reply == [replied]
    assert [(m.body, m.public) for m in found[replied].messages] == [("It happened again", True)]
    read = {"replied": replied, "answered": answered, "noted": noted}
    assert sorted(found) == sorted(read[name] for name in READ[desk.kind])
    if noted in found:
        assert [m.public for m in found[noted].messages] == [False]
