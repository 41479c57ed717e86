"""The one planner: the ``WriteBack`` for a ticket's first triage, for a customer's reply and for
a revert, each from the ticket as it is now. Pure, no I/O.

Every change ticketbot sends to a helpdesk comes from here, so a reader finds what ticketbot
writes in one place:

- ``triage_writeback``: a first triage (and a dry run's, and a re-plan after a conflict) through
  ``triage_change.plan_change``; with routes configured, a ``RoutedWriteBack``.
- ``reply_plan`` and ``reply_writeback``: a judged reply's change (``reply_change.plan_reply``:
  what the run records and logs) and the ``WriteBack`` that carries it.
- ``revert_writeback`` and ``revert_recheck``: what one run wrote (``RunWrites``, from its
  events) undone where nobody changed it since, and that change checked again against a fresh
  read of the ticket.
- ``review_writeback``: a lead's accept or correction of a suggested field, from the dashboard's
  review queue (``review_change``), on the ticket as it is now.

The run (``run/``) holds what lives around these (the router, the escalations, the reply book,
the log) and calls them; it never builds a ``WriteBack`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..models import (
    SHORT_TAG_MAX,
    Message,
    Priority,
    RouteDecision,
    Suggestion,
    Ticket,
    Triage,
    WriteBack,
    fit_tag,
)
from ..triage.confidence import Decision
from .note import HelpdeskFields, NoteLanguage, render_revert_note
from .reply_change import ReplyChange, ReplyKind, plan_reply
from .review_change import ReviewedLabel as ReviewedLabel
from .review_change import review_writeback as review_writeback
from .trailer import NoteTrailer, parse_trailer
from .triage_change import plan_change


@dataclass(frozen=True)
class WritePolicy:
    """How a run writes back, from its options: ``prefix`` starts ticketbot's tags; below
    ``confidence_threshold`` a triage leaves the priority alone; with ``set_priority`` off no
    priority is set; ``run_id`` is the run its notes name."""

    prefix: str
    confidence_threshold: float
    set_priority: bool
    run_id: str


class RoutedWriteBack(WriteBack):
    """A ``WriteBack`` plus what routing decided, for events and output (never sent)."""

    routes: tuple[str, ...] = ()
    group_name: str | None = None
    assignee_name: str | None = None
    escalated: bool = False
    # Why an escalation the routes asked for waits as a suggestion (``triage.escalation_hold``).
    escalation_held: str | None = None


def triage_writeback(
    policy: WritePolicy,
    ticket: Ticket,
    triage: Triage,
    route: RouteDecision | None,
    suggestions: Sequence[Suggestion],
    fields: HelpdeskFields | None = None,
    *,
    field_titles: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
    field_shown: Mapping[str, str] | None = None,
    language: NoteLanguage | None = None,
) -> WriteBack:
    """The change a first triage makes. ``route`` None: no routes are configured (a plain
    ``WriteBack``); else what they decided, and the change says it (``RoutedWriteBack``).
    ``language``: the note's (the agent's) language and what the LLM gave in it."""
    decision = route if route is not None else RouteDecision()
    change = plan_change(
        ticket,
        triage,
        decision,
        suggestions,
        fields,
        field_titles=field_titles,
        field_shown=field_shown,
        decisions=decisions,
        prefix=policy.prefix,
        confidence_threshold=policy.confidence_threshold,
        set_priority=policy.set_priority,
        run_id=policy.run_id,
        language=language,
    )
    base = change.writeback(ticket)
    if route is None:
        return base
    return RoutedWriteBack(
        **{
            **base.model_dump(),
            "routes": decision.routes,
            "group_name": decision.group_name,
            "assignee_name": decision.assignee_name,
            "escalated": decision.escalate,
            "escalation_held": decision.escalation_held,
        }
    )


def with_customer_reply(
    writeback: WriteBack, block: str, article_id: int, add_tags: Sequence[str] = ()
) -> WriteBack:
    """A triage's write-back that also shows the reply planned for the customer (``block``:
    the reply between its markers, ``answers/``) in its note, before the trailer (which stays
    the note's last line and records the reply's article: ``answer=<id>``), and adds
    ``add_tags``."""
    note = writeback.note
    if not note:
        text = block
    else:
        lines = note.rstrip("\n").split("\n")
        trailer = parse_trailer(lines[-1])
        if trailer is not None:
            last = replace(trailer, answer=article_id).line()
            text = "\n".join([*lines[:-1], "", block, "", last])
        else:
            text = f"{note.rstrip()}\n\n{block}"
    tags = tuple(dict.fromkeys((*writeback.additional_tags, *add_tags)))
    return writeback.model_copy(update={"note": text, "additional_tags": tags})


def with_note_line(writeback: WriteBack, line: str) -> WriteBack:
    """A triage's write-back with one more line in its note, before the trailer (which stays
    the note's last line); a write-back without a note is left as it is."""
    note = writeback.note
    if not note:
        return writeback
    lines = note.rstrip("\n").split("\n")
    if parse_trailer(lines[-1]) is not None:
        text = "\n".join([*lines[:-1], "", line, "", lines[-1]])
    else:
        text = f"{note.rstrip()}\n\n{line}"
    return writeback.model_copy(update={"note": text})


_RUN_LINE = re.compile(r"run \S+")


def with_section(note: str, section: Sequence[str]) -> str:
    """``note`` with ``section`` (its lines, a blank one first) before the note's closing lines:
    its blank line and ``run <id>``, then what follows them (a line or a reply an answer added,
    the trailer), so the trailer stays the last line, where machines read it. A note with no
    run line gets it before its trailer, and one with neither at its end. The one way a step
    adds a section of its own to the note."""
    if not section:
        return note
    lines = note.split("\n")
    for at in range(len(lines) - 1, 0, -1):
        if lines[at - 1] == "" and _RUN_LINE.fullmatch(lines[at]):
            return "\n".join([*lines[: at - 1], *section, *lines[at - 1 :]])
    if parse_trailer(lines[-1]) is not None:
        return "\n".join([*lines[:-1], *section, "", lines[-1]])
    return "\n".join([*lines, *section])


def reply_plan(
    policy: WritePolicy,
    ticket: Ticket,
    kind: ReplyKind,
    triage: Triage | None,
    *,
    before: NoteTrailer | None,
    trend: Sequence[str],
    reply: Message,
    route: RouteDecision,
    decisions: Mapping[str, Decision],
    language: NoteLanguage | None = None,
) -> ReplyChange:
    """The change a judged reply makes (``reply_writeback`` turns it into the write);
    ``language``: its note's (the agent's)."""
    return plan_reply(
        ticket,
        kind,
        triage,
        before=before,
        trend=trend,
        reply_id=reply.id,
        reply_at=reply.created_at,
        route=route,
        decisions=decisions,
        prefix=policy.prefix,
        confidence_threshold=policy.confidence_threshold,
        set_priority=policy.set_priority,
        run_id=policy.run_id,
        language=language,
    )


def reply_writeback(ticket: Ticket, change: ReplyChange) -> WriteBack:
    """What a reply's change writes to ``ticket`` as it is now (a repair's too)."""
    return WriteBack(
        ticket_id=ticket.id,
        additional_tags=change.add_tags,
        remove_tags=change.remove_tags,
        priority=change.priority,
        note=change.note,
        group_id=change.group_id,
        assignee_id=change.assignee_id,
        updated_stamp=ticket.updated_at,
    )


# -- undoing one run's writes ----------------------------------------------------------------


@dataclass(frozen=True)
class RunWrites:
    """What one run wrote to one ticket, from its ``ticket_triaged`` event."""

    ticket_id: int
    tags_added: tuple[str, ...]
    priority: str | None
    previous_priority: str | None
    group_id: int | None
    previous_group_id: int | None
    # The helpdesk fields the run filled ({key: value}) and what they held before.
    fields_set: dict[str, object] = field(default_factory=dict)
    previous_fields: dict[str, object] = field(default_factory=dict)
    # A re-triage after a customer's reply: the tags it replaced, and the reply it answered.
    tags_removed: tuple[str, ...] = ()
    answers: int | None = None


def _carries(ticket: Ticket, tag: str) -> bool:
    """The ticket carries ``tag``, or the short form a helpdesk with shorter tags got."""
    return tag in ticket.tags or fit_tag(tag, SHORT_TAG_MAX) in ticket.tags


def revert_writeback(
    run_id: str,
    wrote: RunWrites,
    ticket: Ticket,
    *,
    keep: str,
    field_titles: Mapping[str, str] | None = None,
) -> WriteBack | None:
    """The change that undoes what run ``run_id`` wrote (``wrote``) on ``ticket`` as it is now,
    all but the tag ``keep`` (the processed marker); None when nothing of the run's is left."""
    remove = tuple(t for t in wrote.tags_added if t != keep and _carries(ticket, t))
    # The tags a re-triage replaced come back, where nobody put another value since.
    restore_tags = tuple(t for t in wrote.tags_removed if not _carries(ticket, t))
    # A filled field goes back where it still holds what the run wrote (nobody changed it).
    restore = {
        key: wrote.previous_fields.get(key)
        for key, value in wrote.fields_set.items()
        if ticket.custom_fields.get(key) == value
    }
    priority, clear = None, False
    if wrote.priority and ticket.priority == wrote.priority:
        try:
            priority = Priority(wrote.previous_priority) if wrote.previous_priority else None
        except ValueError:
            priority = None
        clear = wrote.previous_priority is None  # the ticket had none before the run
    group, clear_group = None, False
    if wrote.group_id is not None and ticket.group_id == wrote.group_id:
        group = wrote.previous_group_id
        clear_group = group is None  # the ticket had no group before the run
    unchanged = priority is None and not clear and group is None and not clear_group
    if not remove and unchanged and not restore and not restore_tags:
        return None
    done = [f"removed tags {', '.join(remove)}" if remove else ""]
    if restore_tags:
        done.append(f"tags {', '.join(restore_tags)} put back")
    if priority is not None:
        done.append(f"priority restored to {priority.value}")
    elif clear:
        done.append("priority cleared, as before the run")
    if group is not None:
        done.append(f"group restored to {group}")
    elif clear_group:
        done.append("group cleared, as before the run")
    if restore:
        titles = field_titles or {}
        named = sorted(titles.get(key, key) for key in restore)  # as agents see them
        done.append(f"fields {', '.join(named)} restored")
    told = "; ".join(d for d in done if d)
    note = render_revert_note(run_id, told, answers=wrote.answers)
    return WriteBack(
        ticket_id=ticket.id,
        additional_tags=restore_tags,
        remove_tags=remove,
        priority=priority,
        clear_priority=clear,
        group_id=group,
        clear_group=clear_group,
        custom_fields=restore,
        note=note,
        updated_stamp=ticket.updated_at,
    )


def revert_recheck(
    original: WriteBack, fresh: Ticket, written: dict[str, object]
) -> WriteBack | None:
    """A revert's change checked again against ``fresh`` (the ticket changed since it was
    planned): remove only what is still there, restore only fields that still hold what the
    run wrote (``written``); None when nothing is left to undo."""
    remove = tuple(t for t in original.remove_tags if _carries(fresh, t))
    nothing_else = not original.clear_priority and original.priority is None
    no_group = original.group_id is None and not original.clear_group
    restore = {
        k: v
        for k, v in original.custom_fields.items()
        if fresh.custom_fields.get(k) == written.get(k)
    }
    put_back = tuple(t for t in original.additional_tags if not _carries(fresh, t))
    if not remove and nothing_else and no_group and not restore and not put_back:
        return None
    return original.model_copy(
        update={
            "remove_tags": remove,
            "additional_tags": put_back,
            "custom_fields": restore,
            "updated_stamp": fresh.updated_at,
        }
    )
