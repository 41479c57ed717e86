"""The QA section's content on a ticket's page, over a plain conversation reader: off, nothing
(and nothing read); a helpdesk that fails or does not know the ticket, a reason instead of
points; an open ticket, no points; a page viewed again, no second read."""

from __future__ import annotations

from ticket_processor.dashboard.qa_view import QaShown, QaView
from ticket_processor.errors import TicketBotError
from ticket_processor.models import Ticket
from ticket_processor.models.helpdesk import Conversation, Message

REPLY = Message(11, "Thanks, it ships today.", None, public=True, from_requester=False)


def conversation(status: str) -> Conversation:
    return Conversation(Ticket(id=7, description="Where is it?", status=status), (REPLY,))


def test_off_shows_nothing() -> None:
    assert QaView(None)(7) is None


def test_a_solved_ticket_is_read_once_and_kept() -> None:
    reads: list[int] = []

    def read(ticket_id: int) -> Conversation:
        reads.append(ticket_id)
        return conversation("solved")

    view = QaView(read)
    first = view(7)
    assert first is not None
    assert [p.name for p in first.points] == ["answered", "asked_twice", "tone"]
    assert view(7) == first
    assert reads == [7]


def test_an_open_ticket_has_no_points() -> None:
    assert QaView(lambda _: conversation("open"))(7) == QaShown()


def test_a_failed_or_unknown_read_says_why() -> None:
    def refuse(ticket_id: int) -> Conversation:
        raise TicketBotError("401 Couldn't authenticate you")

    shown = QaView(refuse)(7)
    assert shown is not None
    assert shown.points == ()
    assert shown.error == "the helpdesk could not be read: 401 Couldn't authenticate you"
    assert QaView(lambda _: None)(7) == QaShown(error="the helpdesk does not know this ticket")
