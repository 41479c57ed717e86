"""What agents left on tickets ticketbot triaged: the ``ticket_outcome`` event.

Discovery reads every changed ticket anyway (Zendesk's export, Freshdesk's list); when one is
solved or closed and carries ticketbot's processed marker, ``observe_outcome`` logs the label
tags it carries now, at no extra request::

    {"event": "ticket_outcome", "ticket_id": 42, "status": "solved",
     "labels": {"category": "billing", "urgency": "high"}}

``ticketbot report`` joins these with the earlier ``ticket_triaged`` events of the same ticket
(what ticketbot wrote; ``report.agreement``) into the agents' agreement figure. A field whose
tags were removed, or that carries two values, is left out of ``labels`` (not compared).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..common.eventlog import EventSink
from ..models import Ticket
from ..writeback.triage_change import is_processed
from .feedback import AGREEMENT_FIELDS
from .labels import LabelSpec, default_specs, labels_from_tags

SOLVED = ("solved", "closed")


def outcome_labels(ticket: Ticket, prefix: str) -> dict[str, str] | None:
    """The category and urgency a solved, ticketbot-triaged ticket carries now; else None."""
    if ticket.status not in SOLVED or not is_processed(ticket.tags, prefix):
        return None
    specs = {k: v for k, v in default_specs(prefix).items() if k in AGREEMENT_FIELDS}
    return labels_from_tags(ticket.tags, prefix, specs)


def observe_shadow_outcome(
    log: EventSink, ticket: Ticket, prefix: str, specs: Mapping[str, LabelSpec]
) -> None:
    """In a shadow run: ``shadow_outcome`` for a solved or closed ticket with the labels its
    agents gave it (the team's own tags or fields, ``TICKETBOT_SHADOW_LABELS``), which
    ``report`` joins with the shadow decisions. No marker needed: a shadow run writes none."""
    if ticket.status not in SOLVED:
        return
    labels = labels_from_tags(ticket.tags, prefix, specs, custom_fields=ticket.custom_fields)
    if labels:
        log.emit("shadow_outcome", ticket_id=ticket.id, status=ticket.status, labels=labels)


def observe_outcome(log: EventSink, ticket: Ticket, prefix: str) -> None:
    """Log ``ticket_outcome`` for a solved or closed ticket ticketbot triaged (else nothing)."""
    labels = outcome_labels(ticket, prefix)
    if labels is not None:
        log.emit("ticket_outcome", ticket_id=ticket.id, status=ticket.status, labels=labels)
