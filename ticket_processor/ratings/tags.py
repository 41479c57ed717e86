"""Agents' feedback tags on a ticket ticketbot triaged: ``<prefix>feedback_helped``,
``<prefix>feedback_not_helped``, ``<prefix>feedback_wrong_category`` (``ai_`` by default).

Discovery reads every changed ticket anyway; ``observe_ratings`` logs ``ticket_rated`` for one
that carries ticketbot's processed marker and a feedback tag, at no extra request::

    {"event": "ticket_rated", "ticket_id": 42, "verdicts": ["not_helped"], "category": "billing"}

The audit feed stores a row per tag (``audit.rows``), keyed by ticket and tag: the ticket met
again, or the tag removed and added again, is the same rating, counted once.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..common.eventlog import EventSink
from ..learned.labels import VERDICTS, feedback_tag, verdicts_in
from ..models import Ticket
from ..writeback.triage_change import is_processed

__all__ = ["VERDICTS", "category_in", "feedback_tag", "observe_ratings", "verdicts_in"]


def category_in(tags: Iterable[str], prefix: str) -> str | None:
    """ticketbot's category tag on the ticket, when there is exactly one."""
    head = f"{prefix}category_"
    found = [t[len(head) :] for t in tags if t.startswith(head)]
    return found[0] if len(found) == 1 else None


def observe_ratings(log: EventSink, ticket: Ticket, prefix: str) -> None:
    """Log ``ticket_rated`` for a triaged ticket carrying feedback tags (else nothing)."""
    if not is_processed(ticket.tags, prefix):
        return
    verdicts = verdicts_in(ticket.tags, prefix)
    if verdicts:
        log.emit(
            "ticket_rated",
            ticket_id=ticket.id,
            verdicts=verdicts,
            category=category_in(ticket.tags, prefix),
        )
