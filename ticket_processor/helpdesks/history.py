"""What every helpdesk's history read shares: which tickets of a discovery page belong to the
team's solved history (``answers calibrate --from-helpdesk``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
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


def articles_linked(link: re.Pattern[str], texts: Iterable[object]) -> tuple[int, ...]:
    """The article ids ``link`` (a helpdesk's article URL, the id its group) finds in the texts,
    in order of first mention."""
    found: dict[int, None] = {}
    for text in texts:
        if isinstance(text, str):
            for match in link.finditer(text):
                found[int(match.group(1))] = None
    return tuple(found)
