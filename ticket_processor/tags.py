"""From an analysis to a write-back: tags to add, the priority decision, the internal note.

Pure functions, no I/O. Only enum values and taxonomy names ever become tags or priorities,
so nothing a ticket's text says can put an arbitrary tag on it. Tags are only ever *added*
(``additional_tags``); nothing here produces a full tag list that could replace an agent's.

Priority policy (stated once, here and in the README):

- urgency maps to priority: critical→urgent, high→high, medium→normal, low→low;
- below the confidence threshold, or with priorities switched off, the priority is left alone;
- a ticket with no priority gets the mapped one;
- a priority ticketbot set earlier (it leaves a ``<prefix>priority_<value>`` tag) may be changed;
- a priority a human set is never lowered; it may be raised when the analysis is more urgent;
- an escalated ticket (``triage.routing``) is raised to urgent, whatever the urgency and confidence
  (a route asked for it), unless priorities are switched off.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from .models import PRIORITY_RANK, Priority, Suggestion, Triage, Urgency, WriteBack

URGENCY_TO_PRIORITY: dict[Urgency, Priority] = {
    Urgency.CRITICAL: Priority.URGENT,
    Urgency.HIGH: Priority.HIGH,
    Urgency.MEDIUM: Priority.NORMAL,
    Urgency.LOW: Priority.LOW,
}

# Zendesk folds tags to lower case and turns spaces into underscores; we go further and keep
# only characters that are safe in every Zendesk tag context (views, triggers, search).
_TAG_UNSAFE = re.compile(r"[^a-z0-9_\-]+")
_TAG_MAX = 80
NOTE_HEADER = "ticketbot triage"


def sanitise_tag(raw: str) -> str:
    """A Zendesk-safe tag: ASCII lower case, [a-z0-9_-], no runs of '_', at most 80 characters."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    tag = _TAG_UNSAFE.sub("_", folded.strip().lower())
    tag = re.sub(r"_{2,}", "_", tag).strip("_-")
    return tag[:_TAG_MAX].rstrip("_-")


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


def is_processed(tags: Iterable[str], prefix: str) -> bool:
    return marker_tag(prefix) in set(tags)


def triage_tags(
    triage: Triage, *, prefix: str, confidence_threshold: float, priority: Priority | None = None
) -> tuple[str, ...]:
    """The tags one triage adds: marker, category, urgency, sentiment, language, flags."""
    analysis = triage.analysis
    names = [
        f"{prefix}processed",
        f"{prefix}category_{analysis.category}",
        f"{prefix}urgency_{analysis.urgency.value}",
        f"{prefix}sentiment_{analysis.sentiment.value}",
        f"{prefix}lang_{analysis.language}",
    ]
    if triage.engine == "rules" and triage.fallback:
        names.append(f"{prefix}fallback")
    if triage.engine == "learned":
        names.append(f"{prefix}engine_learned")
    if analysis.confidence < confidence_threshold:
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


def render_suggestions(suggestions: Sequence[Suggestion]) -> list[str]:
    """The note's help-centre section: numbered as a draft cites them, title and link."""
    if not suggestions:
        return []
    lines = ["", "Help-centre articles that may answer this:"]
    for number, article in enumerate(suggestions, start=1):
        internal = " (internal: for agents, not for the customer)"
        lines.append(
            f"[{number}] {article.title}{internal if article.visibility == 'internal' else ''}"
        )
        lines.append(f"    {article.url}")
    return lines


def render_note(
    triage: Triage,
    *,
    priority: Priority | None,
    run_id: str,
    suggestions: Sequence[Suggestion] = (),
    extra: Sequence[str] = (),
) -> str:
    """The internal note: what ticketbot concluded and from what, in plain text."""
    analysis = triage.analysis
    source = {
        "llm": f"LLM ({triage.model})",
        "learned": "learned model",
        "rules": "keyword rules",
    }[triage.engine]
    if triage.fallback:
        reason = f": {triage.fallback_reason}" if triage.fallback_reason else ""
        source += f" — fallback{reason}"
    lines = [
        f"{NOTE_HEADER} ({source})",
        "",
        f"Summary: {analysis.summary}",
        f"Category: {analysis.category}",
        f"Urgency: {analysis.urgency.value}"
        + (f" → priority set to {priority.value}" if priority else ""),
        f"Sentiment: {analysis.sentiment.value}",
        f"Language: {analysis.language}",
        f"Confidence: {analysis.confidence:.2f}",
    ]
    lines += render_suggestions(suggestions)
    if analysis.reply_draft:
        lines += ["", "Suggested reply (draft, not sent):", analysis.reply_draft]
    if extra:
        lines += ["", *extra]
    lines += ["", f"run {run_id}"]
    return "\n".join(lines)


def plan_writeback(
    *,
    ticket_id: int,
    current_priority: str | None,
    current_tags: Sequence[str],
    updated_at: str | None,
    triage: Triage,
    prefix: str,
    confidence_threshold: float,
    set_priority: bool,
    run_id: str,
    escalated: bool = False,
    extra_tags: Sequence[str] = (),
    note_lines: Sequence[str] = (),
    suggestions: Sequence[Suggestion] = (),
) -> WriteBack:
    """Everything ticketbot will change on one ticket, decided from its current state.

    ``escalated``, ``extra_tags`` and ``note_lines`` are what routing adds (``run/planner.py``);
    ``suggestions`` the help-centre articles for the note (and ``<prefix>kb_suggested``).
    """
    analysis = triage.analysis
    priority = decide_priority(
        current=current_priority,
        tags=current_tags,
        urgency=analysis.urgency,
        confidence=analysis.confidence,
        confidence_threshold=confidence_threshold,
        prefix=prefix,
        enabled=set_priority,
        escalated=escalated,
    )
    tags = triage_tags(
        triage, prefix=prefix, confidence_threshold=confidence_threshold, priority=priority
    )
    kb = (sanitise_tag(f"{prefix}kb_suggested"),) if suggestions else ()
    return WriteBack(
        ticket_id=ticket_id,
        additional_tags=tuple(dict.fromkeys((*tags, *kb, *extra_tags))),
        priority=priority,
        note=render_note(
            triage, priority=priority, run_id=run_id, suggestions=suggestions, extra=note_lines
        ),
        updated_stamp=updated_at,
    )
