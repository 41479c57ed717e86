"""A ticket's first triage to its change: tags to add, the priority decision, the group and the
note (``plan_change``, the one decision from a triage to a ``WriteBackPlan``). Pure, no I/O.

Only enum values and taxonomy names ever become tags or priorities, so nothing a ticket's text
says can put an arbitrary tag on it. Tags are only ever *added* (``additional_tags``); nothing
here produces a full tag list that could replace an agent's.

Priority policy (stated once, here and in docs/how-to/zendesk.md):

- urgency maps to priority: critical→urgent, high→high, medium→normal, low→low;
- below the confidence threshold, or with priorities switched off, the priority is left alone;
- a ticket with no priority gets the mapped one;
- a priority ticketbot set earlier (it leaves a ``<prefix>priority_<value>`` tag) may be changed;
- a priority a human set is never lowered; it may be raised when the analysis is more urgent;
- an escalated ticket (``triage.routing``) is raised to urgent, whatever the urgency and confidence
  (a route asked for it), unless priorities are switched off;
- a ticket the spam gate judged no customer's keeps the priority it has (a phishing mail's
  "your account will be closed today" is not urgent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..models import (
    PRIORITY_RANK,
    Priority,
    RouteDecision,
    Suggestion,
    Ticket,
    Triage,
    Urgency,
    WriteBack,
    is_spam,
    sanitise_tag,
)
from ..triage.confidence import Decision
from .note import HelpdeskFields, NoteLanguage, field_values, render_note

URGENCY_TO_PRIORITY: dict[Urgency, Priority] = {
    Urgency.CRITICAL: Priority.URGENT,
    Urgency.HIGH: Priority.HIGH,
    Urgency.MEDIUM: Priority.NORMAL,
    Urgency.LOW: Priority.LOW,
}


def merge_tags(existing: Iterable[str], additions: Iterable[str]) -> list[str]:
    """Existing tags in their order, then the new ones: a union, never a replacement."""
    merged = list(dict.fromkeys(existing))
    seen = set(merged)
    for tag in additions:
        if tag and tag not in seen:
            merged.append(tag)
            seen.add(tag)
    return merged


def marker_tag(prefix: str) -> str:
    return sanitise_tag(f"{prefix}processed")


def risk_tag(prefix: str, level: str) -> str:
    """``<prefix>risk_<level>``: the one risk tag ticketbot keeps on a ticket."""
    return sanitise_tag(f"{prefix}risk_{level}")


def is_processed(tags: Iterable[str], prefix: str) -> bool:
    return marker_tag(prefix) in set(tags)


def triage_tags(
    triage: Triage,
    *,
    prefix: str,
    confidence_threshold: float,
    priority: Priority | None = None,
    decisions: Mapping[str, Decision] | None = None,
) -> tuple[str, ...]:
    """The tags one triage adds: marker, category, urgency, sentiment, language, flags. A
    calibrated field that is only suggested gets ``<prefix>suggested_<field>`` instead of its
    value's tag, an abstained one no tag (``decisions``; a field absent there applies)."""
    analysis = triage.analysis
    decided = decisions or {}
    names = [f"{prefix}processed"]
    for name, value in field_values(analysis):
        fate = decided.get(name, "apply")
        if fate == "apply":
            names.append(f"{prefix}{name}_{value}")
        elif fate == "suggest":
            names.append(f"{prefix}suggested_{name}")
    names.append(f"{prefix}lang_{analysis.language}")
    if triage.fallback:  # the engine asked for failed: whichever engine took over, say so
        names.append(f"{prefix}fallback")
    if triage.engine == "learned":
        names.append(f"{prefix}engine_learned")
    low = (
        decided["category"] != "apply"
        if "category" in decided
        else analysis.confidence < confidence_threshold
    )
    if low:
        names.append(f"{prefix}low_confidence")
    if priority is not None:
        names.append(f"{prefix}priority_{priority.value}")
    return tuple(dict.fromkeys(sanitise_tag(name) for name in names))


def _parse_priority(value: str | None) -> Priority | None:
    try:
        return Priority(value) if value else None
    except ValueError:
        return None


def decide_priority(
    *,
    current: str | None,
    tags: Sequence[str],
    urgency: Urgency,
    confidence: float,
    confidence_threshold: float,
    prefix: str,
    enabled: bool = True,
    escalated: bool = False,
) -> Priority | None:
    """The priority to write, or None to leave the ticket's priority as it is (see module doc)."""
    if not enabled or (confidence < confidence_threshold and not escalated):
        return None
    wanted = Priority.URGENT if escalated else URGENCY_TO_PRIORITY[urgency]
    present = _parse_priority(current)
    if present is None:
        return wanted
    if present == wanted:
        return None
    set_by_us = sanitise_tag(f"{prefix}priority_{present.value}") in set(tags)
    if set_by_us or PRIORITY_RANK[wanted] > PRIORITY_RANK[present]:
        return wanted
    return None


@dataclass(frozen=True)
class WriteBackPlan:
    """Everything ticketbot will change on one ticket: tags to add (each once), the priority
    (None: leave it), group and assignee (None: leave them), escalation, helpdesk fields and
    the note."""

    additional_tags: tuple[str, ...]
    priority: Priority | None
    group_id: int | None
    assignee_id: int | None
    escalated: bool
    fields: Mapping[str, str | int | float | bool]
    note: str

    def writeback(self, ticket: Ticket) -> WriteBack:
        return WriteBack(
            ticket_id=ticket.id,
            additional_tags=self.additional_tags,
            priority=self.priority,
            note=self.note,
            group_id=self.group_id,
            assignee_id=self.assignee_id,
            custom_fields=dict(self.fields),
            updated_stamp=ticket.updated_at,
        )


def plan_change(
    ticket: Ticket,
    triage: Triage,
    route: RouteDecision,
    suggestions: Sequence[Suggestion],
    fields: HelpdeskFields | None = None,
    *,
    prefix: str,
    confidence_threshold: float,
    set_priority: bool,
    run_id: str,
    answers: int | None = None,
    field_titles: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
    field_shown: Mapping[str, str] | None = None,
    language: NoteLanguage | None = None,
) -> WriteBackPlan:
    """The one decision from a triage to a write-back, from the ticket as it is now.

    ``route`` is what routing decided (``RouteDecision()`` without routes), ``suggestions`` the
    help-centre articles to name (and then ``<prefix>kb_suggested``), ``fields`` the helpdesk
    fields to set, ``answers`` the reply the note answers (None: the first message).
    """
    analysis = triage.analysis
    decided = decisions or {}
    # A calibrated urgency sets the priority only when applied; else the run's threshold on
    # the engine's confidence decides, as before calibration.
    urgency_fate = decided.get("urgency")
    confidence = (
        analysis.confidence if urgency_fate is None else 1.0 if urgency_fate == "apply" else -1.0
    )
    spam = triage.spam
    priority = (
        None
        if is_spam(triage)
        else decide_priority(
            current=ticket.priority,
            tags=ticket.tags,
            urgency=analysis.urgency,
            confidence=confidence,
            confidence_threshold=confidence_threshold,
            prefix=prefix,
            enabled=set_priority,
            escalated=route.escalate,
        )
    )
    tags = triage_tags(
        triage,
        prefix=prefix,
        confidence_threshold=confidence_threshold,
        priority=priority,
        decisions=decided,
    )
    kb = (sanitise_tag(f"{prefix}kb_suggested"),) if suggestions else ()
    if spam is not None:  # the spam gate's verdict: its kind applied, or only suggested
        name = spam.kind if spam.applied else "suggested_spam"
        kb = (*kb, sanitise_tag(f"{prefix}{name}"))
    if triage.risk is not None:  # the risk's level (``risk/``): none on a spam verdict
        kb = (*kb, risk_tag(prefix, triage.risk.level))
    chosen = dict(fields or {})
    return WriteBackPlan(
        additional_tags=tuple(dict.fromkeys((*tags, *kb, *route.tags))),
        priority=priority,
        group_id=route.group_id,
        assignee_id=route.assignee_id,
        escalated=route.escalate,
        fields=chosen,
        note=render_note(
            triage,
            priority=priority,
            run_id=run_id,
            suggestions=suggestions,
            route=route,
            fields=chosen,
            answers=answers,
            field_titles=field_titles,
            decisions=decided,
            field_shown=field_shown,
            language=language,
            threshold=confidence_threshold,
            forwards=triage.forwards,
        ),
    )
