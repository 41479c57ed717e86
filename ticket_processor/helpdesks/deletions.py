"""What a helpdesk deleted since a moment, in ticketbot's words: what every kind's deletion read
(``helpdesks/<kind>/deletions.py``, named by its descriptor's ``deletions``) returns, so the
next run forgets those tickets and people as ``privacy forget`` would (``privacy/follow.py``).

A deletion in the helpdesk is a customer's (or the team's) wish that their data go: a ticket
deleted or marked spam, a comment or ticket redacted, a person (contact, user) deleted. Each
read is incremental (from the last read's moment) and bounded (``max_requests``); a kind that
keeps no such list leaves ``deletions`` empty and nothing is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..models import Helpdesk


@dataclass(frozen=True)
class Deletions:
    """The helpdesk's deletions read: tickets gone or redacted (ticketbot's ids), people gone
    (their ids as a ticket's ``requester_id`` names them, and their addresses where the
    helpdesk still says them), how many requests it took, and whether it read to the end (a
    read stopped at its budget starts from the same moment next time)."""

    tickets: frozenset[int] = frozenset()
    requesters: frozenset[int] = frozenset()
    addresses: frozenset[str] = frozenset()
    requests: int = 0
    complete: bool = True
    notes: tuple[str, ...] = field(default=())


class DeletionReader(Protocol):
    """Reads what the helpdesk deleted at or after ``since`` (Unix seconds)."""

    def __call__(self, helpdesk: Helpdesk, *, since: float, max_requests: int) -> Deletions: ...
