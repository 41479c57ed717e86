"""What a ticket's page shows of what the helpdesk holds now: ticketbot's notes and the summary
field, each read through ``KeptReads`` (``web.py`` builds the page), or why it is not shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import TicketBotError
from ..summary.build import body_of, is_ours
from .kept_reads import READS_PER_MINUTE

# What a ticket's page says when the dashboard has read the helpdesk its most this minute.
BUSY = (
    "not read from the helpdesk now: the dashboard reads it at most "
    f"{READS_PER_MINUTE} times a minute, so as not to spend the runs' rate limit; "
    "open the page again in a minute"
)


def notes_of(read: Callable[[int], list[str]] | None, ticket_id: int) -> tuple[list[str], str]:
    """ticketbot's notes on the ticket (its triage, review, incident, duplicate and revert
    notes: each begins "ticketbot " or "ticketbot:"), or why not."""
    if read is None:
        return [], "the helpdesk is not configured here: its notes are not shown"
    try:
        found = read(ticket_id)
    except TicketBotError as exc:
        return [], f"the helpdesk could not be read: {exc}"
    return [n for n in found if n.lstrip().startswith(("ticketbot ", "ticketbot:"))], ""


@dataclass(frozen=True)
class SummaryShown:
    """The ticket's summary field on its page: the text (without ticketbot's mark), whether it
    is ticketbot's own (else an agent wrote or edited it), or why it is not shown."""

    text: str = ""
    ours: bool = False
    error: str = ""


def summary_of(read: Callable[[int], object] | None, ticket_id: int) -> SummaryShown | None:
    if read is None:
        return None
    try:
        value = read(ticket_id)
    except TicketBotError as exc:
        return SummaryShown(error=f"the helpdesk could not be read: {exc}")
    if not isinstance(value, str) or not value.strip():
        return SummaryShown()
    return SummaryShown(body_of(value), is_ours(value))
