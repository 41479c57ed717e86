"""What a ticket's page shows of what the helpdesk holds now: ticketbot's notes and the summary
field, both from one read kept through ``KeptReads`` (``web.py`` builds the page), or why they
are not shown."""

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


# What the helpdesk holds of a ticket: ticketbot's notes and the summary field's value (None
# when no summary field is configured here), read in one request where the helpdesk allows.
HelpdeskRead = Callable[[int], tuple[list[str], object]]


@dataclass(frozen=True)
class SummaryShown:
    """The ticket's summary field on its page: the text (without ticketbot's mark), whether it
    is ticketbot's own (else an agent wrote or edited it), or why it is not shown."""

    text: str = ""
    ours: bool = False
    error: str = ""


def shown_of(
    read: HelpdeskRead | None, summary_field: bool, ticket_id: int
) -> tuple[tuple[list[str], str], SummaryShown | None]:
    """ticketbot's notes on the ticket (its triage, review, incident, duplicate and revert
    notes: each begins "ticketbot " or "ticketbot:") or why not, and its summary field (None
    when none is configured here)."""
    if read is None:
        return ([], "the helpdesk is not configured here: its notes are not shown"), None
    try:
        found, value = read(ticket_id)
    except TicketBotError as exc:
        why = f"the helpdesk could not be read: {exc}"
        return ([], why), SummaryShown(error=why) if summary_field else None
    notes = [n for n in found if n.lstrip().startswith(("ticketbot ", "ticketbot:"))]
    return (notes, ""), _summary(value) if summary_field else None


def _summary(value: object) -> SummaryShown:
    if not isinstance(value, str) or not value.strip():
        return SummaryShown()
    return SummaryShown(body_of(value), is_ours(value))
