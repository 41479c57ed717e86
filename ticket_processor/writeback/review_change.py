"""A lead's review of a suggestion to its change: the value ticketbot only suggested (or the
one the lead chose instead) applied on the ticket as it is now. Pure, no I/O.

A suggested field carries ``<prefix>suggested_<field>`` and no value tag (``triage_change``).
Accepting it (or correcting it) adds ``<prefix><field>_<value>``, takes the ``suggested_`` tag
away and leaves a short internal note saying who decided; an accepted urgency sets the
priority by the stated policy (never lowering one a human set). The suggestion must still stand
on the ticket as read now: when the ``suggested_`` tag is gone or some ``<prefix><field>_`` tag
is there, someone decided since, and the review writes nothing (an agent's value stands).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import SHORT_TAG_MAX, Priority, Ticket, Urgency, WriteBack, fit_tag, sanitise_tag
from .triage_change import decide_priority

# The fields a review may apply: those ``triage_tags`` suggests by tag.
REVIEWABLE = ("category", "subcategory", "urgency", "sentiment")
REVIEW_NOTE_HEADER = "ticketbot review"


@dataclass(frozen=True)
class ReviewedLabel:
    """What a lead decided about one suggested field: ``value`` is the suggestion (accept) or
    the lead's own value (correct)."""

    field: str
    value: str
    suggested: str
    reviewer: str

    @property
    def action(self) -> str:
        return "accept" if self.value == self.suggested else "correct"


def _carries(ticket: Ticket, tag: str) -> bool:
    return tag in ticket.tags or fit_tag(tag, SHORT_TAG_MAX) in ticket.tags


def suggestion_stands(ticket: Ticket, field: str, *, prefix: str) -> bool:
    """The ticket still waits for this field: its ``suggested_`` tag is there and no value tag
    of the field (a short form included) is."""
    if not _carries(ticket, sanitise_tag(f"{prefix}suggested_{field}")):
        return False
    stem = sanitise_tag(f"{prefix}{field}_")
    short = fit_tag(stem, SHORT_TAG_MAX)
    return not any(tag.startswith((stem, short)) for tag in ticket.tags)


def review_writeback(
    ticket: Ticket,
    label: ReviewedLabel,
    *,
    prefix: str,
    run_id: str,
    set_priority: bool = True,
) -> WriteBack | None:
    """The change that applies ``label`` on ``ticket`` as it is now; None when the suggestion
    no longer stands (someone decided since) or the field is not one a review applies."""
    if label.field not in REVIEWABLE or not suggestion_stands(ticket, label.field, prefix=prefix):
        return None
    value = sanitise_tag(label.value)
    tags = [sanitise_tag(f"{prefix}{label.field}_{value}")]
    priority: Priority | None = None
    if label.field == "urgency":
        priority = decide_priority(
            current=ticket.priority,
            tags=ticket.tags,
            urgency=Urgency(value),
            confidence=1.0,
            confidence_threshold=0.0,
            prefix=prefix,
            enabled=set_priority,
        )
        if priority is not None:
            tags.append(sanitise_tag(f"{prefix}priority_{priority.value}"))
    verb = "accepted" if label.action == "accept" else "corrected"
    told = (
        f"A lead ({label.reviewer}) {verb} the suggested {label.field}: {value}"
        + ("" if label.action == "accept" else f" (ticketbot suggested {label.suggested})")
        + "."
    )
    if priority is not None:
        told += f" Priority set to {priority.value}."
    return WriteBack(
        ticket_id=ticket.id,
        additional_tags=tuple(tags),
        remove_tags=(sanitise_tag(f"{prefix}suggested_{label.field}"),),
        priority=priority,
        note=f"{REVIEW_NOTE_HEADER} (run {run_id})\n{told}",
        updated_stamp=ticket.updated_at,
    )
