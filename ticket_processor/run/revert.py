"""``ticketbot revert --run RUN_ID``: undo what one run wrote, where nobody changed it since.

From the run's ``ticket_triaged`` and ``reply_triaged`` events (the JSON-lines log) and each
ticket as the helpdesk holds it now: the tags the run added are removed, the tags a re-triage
after a reply replaced are put back, (all but the processed marker, so the next
scheduled run does not triage the ticket again — ``run --ticket ID --force`` does that on
purpose); the priority is restored where the ticket still has the one the run set; the group
likewise (cleared where the ticket had none before the run, as a priority is); one internal
note says the triage was reverted (``tags.render_revert_note``: its trailer tells the harvest
that the triage's labels no longer stand). Anything a person changed
since is left as it is. Writes go through the helpdesk's own ``write_batch`` (journaled, merged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..models import SHORT_TAG_MAX, Helpdesk, Priority, Ticket, WriteBack, WriteOutcome, fit_tag
from ..state.ledger import RunLedger
from ..tags import marker_tag, render_revert_note


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


@dataclass
class RevertPlan:
    run_id: str
    changes: list[WriteBack] = field(default_factory=list)
    untouched: list[int] = field(default_factory=list)  # nothing of the run's is left there
    missing: list[int] = field(default_factory=list)  # the ticket is gone
    # ticket id -> the fields the run filled, to re-check a restore against a fresh read
    fields_written: dict[int, dict[str, object]] = field(default_factory=dict)


def writes_of_run(events: Iterable[dict[str, Any]], run_id: str) -> list[RunWrites]:
    """What the run wrote, per ticket: its ``ticket_triaged`` events and the ``reply_triaged``
    events of the replies it re-triaged (a run writes a ticket once: a ticket it triaged leaves
    its replies to the next run)."""
    found: dict[int, RunWrites] = {}
    for event in events:
        kind = event.get("event")
        if kind not in ("ticket_triaged", "reply_triaged") or event.get("run_id") != run_id:
            continue
        if event.get("dry_run") or not isinstance(event.get("ticket_id"), int):
            continue
        if kind == "reply_triaged" and not event.get("wrote"):
            continue
        reply = event.get("reply_id") if kind == "reply_triaged" else None
        found[event["ticket_id"]] = RunWrites(
            ticket_id=event["ticket_id"],
            # Once each: logs of versions that planned a tag twice list it twice.
            tags_added=tuple(dict.fromkeys(str(t) for t in event.get("tags_added") or ())),
            priority=event.get("priority"),
            previous_priority=event.get("previous_priority"),
            group_id=event.get("group_id"),
            previous_group_id=event.get("previous_group_id"),
            fields_set=dict(event.get("fields_set") or {}),
            previous_fields=dict(event.get("previous_fields") or {}),
            tags_removed=tuple(dict.fromkeys(str(t) for t in event.get("tags_removed") or ())),
            answers=reply if isinstance(reply, int) else None,
        )
    return list(found.values())


def plan_revert(
    run_id: str, writes: list[RunWrites], tickets: dict[int, Ticket], *, prefix: str
) -> RevertPlan:
    """Pure: the changes that undo ``writes`` on ``tickets`` as they are now."""
    plan = RevertPlan(run_id)
    keep = marker_tag(prefix)
    for wrote in writes:
        ticket = tickets.get(wrote.ticket_id)
        if ticket is None:
            plan.missing.append(wrote.ticket_id)
            continue
        change = revert_change(run_id, wrote, ticket, keep=keep)
        if wrote.fields_set:
            plan.fields_written[wrote.ticket_id] = wrote.fields_set
        if change is None:
            plan.untouched.append(wrote.ticket_id)
        else:
            plan.changes.append(change)
    return plan


def _carries(ticket: Ticket, tag: str) -> bool:
    """The ticket carries ``tag``, or the short form a helpdesk with shorter tags got."""
    return tag in ticket.tags or fit_tag(tag, SHORT_TAG_MAX) in ticket.tags


def revert_change(run_id: str, wrote: RunWrites, ticket: Ticket, *, keep: str) -> WriteBack | None:
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
        done.append(f"fields {', '.join(sorted(restore))} restored")
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


def describe_revert(change: WriteBack, ticket: Ticket | None) -> str:
    """One line for ``revert --dry-run``: tags, priority and group, each as now → after."""
    parts = [f"tags -{', -'.join(change.remove_tags)}" if change.remove_tags else "tags kept"]
    if change.additional_tags:
        parts.append(f"tags +{', +'.join(change.additional_tags)}")
    now_priority = ticket.priority if ticket and ticket.priority else "none"
    if change.priority is not None:
        parts.append(f"priority {now_priority} → {change.priority.value}")
    elif change.clear_priority:
        parts.append(f"priority {now_priority} → none")
    else:
        parts.append("priority kept")
    now_group = ticket.group_id if ticket and ticket.group_id is not None else "none"
    if change.group_id is not None:
        parts.append(f"group {now_group} → {change.group_id}")
    elif change.clear_group:
        parts.append(f"group {now_group} → none")
    else:
        parts.append("group kept")
    return f"ticket {change.ticket_id}: " + "; ".join(parts)


def apply_revert(helpdesk: Helpdesk, ledger: RunLedger, plan: RevertPlan) -> list[WriteOutcome]:
    """Write the plan in the helpdesk's batches; a ticket changed meanwhile is re-planned."""
    writes = {change.ticket_id: change for change in plan.changes}
    outcomes: list[WriteOutcome] = []

    def replan(fresh: Ticket) -> WriteBack | None:
        original = writes.get(fresh.id)
        if original is None:
            return None
        # Re-check against the fresh ticket: remove only what is still there.
        remove = tuple(t for t in original.remove_tags if _carries(fresh, t))
        nothing_else = not original.clear_priority and original.priority is None
        no_group = original.group_id is None and not original.clear_group
        written = plan.fields_written.get(fresh.id, {})
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

    batch = max(1, helpdesk.limits.batch_size)
    ids = list(writes)
    for start in range(0, len(ids), batch):
        chunk = [writes[i] for i in ids[start : start + batch]]
        helpdesk.write_batch(chunk, replan=replan, journal=ledger, report=outcomes.append)
    return outcomes
