"""What every helpdesk's history read shares: which tickets of a discovery page belong to the
team's solved history (``answers calibrate --from-helpdesk``)."""

from __future__ import annotations

from datetime import datetime

from ..models import Ticket

SOLVED = ("solved", "closed")


def stamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def in_window(ticket: Ticket, since: int) -> bool:
    """A solved or closed ticket (ticketbot's words) last updated at or after ``since``."""
    updated = stamp(ticket.updated_at)
    return ticket.status in SOLVED and updated is not None and updated >= since
