"""The QA section of a solved ticket's page (``TICKETBOT_QA``): the ticket's conversation read
from the helpdesk, kept a minute per ticket and bounded per minute as the page's other read is
(``KeptReads``), and read by ``qa.reading`` (word lists, no LLM call).

Off (no reader configured), the page reads nothing more and shows no section; on, an open
ticket shows none either (the reading is of a finished conversation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import TicketBotError
from ..models.helpdesk import Conversation, Helpdesk
from ..qa.reading import QaPoint, qa_reading
from .from_helpdesk import BUSY
from .kept_reads import KeptReads

# One ticket's conversation as the helpdesk holds it now (None: no such ticket).
ConversationRead = Callable[[int], "Conversation | None"]


@dataclass(frozen=True)
class QaShown:
    """What the page shows: the points (empty while the ticket is open), or why none."""

    points: tuple[QaPoint, ...] = ()
    error: str = ""


class QaView:
    """``view(ticket_id)``: the QA section's content, or None when the setting is off."""

    def __init__(self, read: ConversationRead | None) -> None:
        self._kept = (
            None
            if read is None
            else KeptReads(lambda ticket_id: _shown(read, ticket_id), over_budget=_busy)
        )

    def __call__(self, ticket_id: int) -> QaShown | None:
        return None if self._kept is None else self._kept(ticket_id)


def _shown(read: ConversationRead, ticket_id: int) -> QaShown:
    try:
        conversation = read(ticket_id)
    except TicketBotError as exc:
        return QaShown(error=f"the helpdesk could not be read: {exc}")
    if conversation is None:
        return QaShown(error="the helpdesk does not know this ticket")
    return QaShown(points=qa_reading(conversation) or ())


def conversation_reader(
    connect: Callable[[], Helpdesk], scrub: Callable[[str], str]
) -> ConversationRead:
    """A ticket's conversation read through a fresh connection each time (the page keeps what
    it read a minute); a failure's message ``scrub``bed of secrets, as the page shows it."""

    def read(ticket_id: int) -> Conversation | None:
        try:
            helpdesk = connect()
            try:
                return helpdesk.conversation(ticket_id)
            finally:
                helpdesk.close()
        except TicketBotError as exc:
            raise TicketBotError(scrub(str(exc))) from None

    return read


def _busy(ticket_id: int) -> QaShown:
    return QaShown(error=BUSY)
