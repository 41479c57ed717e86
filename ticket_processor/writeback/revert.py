"""``ticketbot revert --run RUN_ID``: undo what one run wrote, where nobody changed it since.

From the run's ``ticket_triaged``, ``reply_triaged`` and ``summary_written`` events (the
JSON-lines log: the running summary is one more field the run set) and each
ticket as the helpdesk holds it now: the tags the run added are removed, the tags a re-triage
after a reply replaced are put back, (all but the processed marker, so the next
scheduled run does not triage the ticket again — ``run --ticket ID --force`` does that on
purpose); the priority is restored where the ticket still has the one the run set; the group
likewise (cleared where the ticket had none before the run, as a priority is); one internal
note says the triage was reverted (``tags.render_revert_note``: its trailer tells the harvest
that the triage's labels no longer stand). Anything a person changed
since is left as it is. Writes go through the helpdesk's own ``write_batch`` (journaled, merged).
Each ticket's change, and its re-check after a conflict, is the write-back planner's
(``writeback.planner``); this module reads the run's events, describes and writes the changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..common.sealed import open_text
from ..models import Helpdesk, Ticket, WriteBack, WriteOutcome
from ..state.ledger import RunLedger
from .planner import RunWrites, revert_recheck, revert_writeback
from .triage_change import marker_tag


@dataclass
class RevertPlan:
    run_id: str
    changes: list[WriteBack] = field(default_factory=list)
    untouched: list[int] = field(default_factory=list)  # nothing of the run's is left there
    missing: list[int] = field(default_factory=list)  # the ticket is gone
    # ticket id -> the fields the run filled, to re-check a restore against a fresh read
    fields_written: dict[int, dict[str, object]] = field(default_factory=dict)


# The events that say what a run wrote: a first triage, a re-triage after a reply, and a lead's
# review from the dashboard (``writeback.label_review``: its own run id, undone the same way).
_WRITE_EVENTS = ("ticket_triaged", "reply_triaged", "ticket_reviewed")


def writes_of_run(events: Iterable[dict[str, Any]], run_id: str) -> list[RunWrites]:
    """What the run wrote, per ticket: its ``ticket_triaged`` events and the ``reply_triaged``
    events of the replies it re-triaged (a run writes a ticket once: a ticket it triaged leaves
    its replies to the next run)."""
    found: dict[int, RunWrites] = {}
    summaries: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "summary_written" and event.get("run_id") == run_id:
            summaries.append(event)
            continue
        if kind not in _WRITE_EVENTS or event.get("run_id") != run_id:
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
    for event in summaries:
        _with_summary(found, event)
    return list(found.values())


def _with_summary(found: dict[int, RunWrites], event: dict[str, Any]) -> None:
    """The running summary the run wrote (``summary_written``) as one more field it set, its
    text before as the field's previous value: restored where it still holds the run's."""
    ticket_id, key, value = event.get("ticket_id"), event.get("field"), event.get("value")
    if not (isinstance(ticket_id, int) and isinstance(key, str) and isinstance(value, str)):
        return
    # Encrypted in the log when a key was set (``common.sealed``): opened with the key now.
    value = open_text(value, "the log's summary_written event")
    previous = event.get("previous")
    if isinstance(previous, str):
        previous = open_text(previous, "the log's summary_written event")
    wrote = found.get(ticket_id) or RunWrites(ticket_id, (), None, None, None, None)
    # A server's session may refresh one ticket's summary twice: the last text is the run's,
    # what the field held before the first is what it gives back.
    before = wrote.previous_fields.get(key) if key in wrote.fields_set else previous
    found[ticket_id] = replace(
        wrote,
        fields_set={**wrote.fields_set, key: value},
        previous_fields={**wrote.previous_fields, key: before},
    )


def plan_revert(
    run_id: str,
    writes: list[RunWrites],
    tickets: dict[int, Ticket],
    *,
    prefix: str,
    field_titles: Mapping[str, str] | None = None,
) -> RevertPlan:
    """Pure: the changes that undo ``writes`` on ``tickets`` as they are now; the revert note
    names each field by its title (``field_titles``: key -> title)."""
    plan = RevertPlan(run_id)
    keep = marker_tag(prefix)
    for wrote in writes:
        ticket = tickets.get(wrote.ticket_id)
        if ticket is None:
            plan.missing.append(wrote.ticket_id)
            continue
        change = revert_writeback(run_id, wrote, ticket, keep=keep, field_titles=field_titles)
        if wrote.fields_set:
            plan.fields_written[wrote.ticket_id] = wrote.fields_set
        if change is None:
            plan.untouched.append(wrote.ticket_id)
        else:
            plan.changes.append(change)
    return plan


def describe_revert(
    change: WriteBack, ticket: Ticket | None, field_titles: Mapping[str, str] | None = None
) -> str:
    """One line for ``revert --dry-run``: tags, priority, group and the helpdesk fields, each
    as now → after (a field the run filled on an empty one is emptied, a priority "cleared")."""
    parts = [f"tags -{', -'.join(change.remove_tags)}" if change.remove_tags else "tags kept"]
    if change.additional_tags:
        parts.append(f"tags +{', +'.join(change.additional_tags)}")
    now_priority = ticket.priority if ticket and ticket.priority else "none"
    if change.priority is not None:
        parts.append(f"priority {now_priority} → {change.priority.value}")
    elif change.clear_priority:
        parts.append(f"priority {now_priority} → cleared")
    else:
        parts.append("priority kept")
    now_group = ticket.group_id if ticket and ticket.group_id is not None else "none"
    if change.group_id is not None:
        parts.append(f"group {now_group} → {change.group_id}")
    elif change.clear_group:
        parts.append(f"group {now_group} → none")
    else:
        parts.append("group kept")
    titles = field_titles or {}
    emptied = [titles.get(k, k) for k, v in change.custom_fields.items() if v in (None, "")]
    restored = [
        f"{titles.get(k, k)} → {v}" for k, v in change.custom_fields.items() if v not in (None, "")
    ]
    if emptied:
        parts.append(f"fields emptied: {', '.join(emptied)}")
    if restored:
        parts.append(f"fields restored: {', '.join(restored)}")
    return f"ticket {change.ticket_id}: " + "; ".join(parts)


def apply_revert(helpdesk: Helpdesk, ledger: RunLedger, plan: RevertPlan) -> list[WriteOutcome]:
    """Write the plan in the helpdesk's batches; a ticket changed meanwhile is re-planned."""
    writes = {change.ticket_id: change for change in plan.changes}
    outcomes: list[WriteOutcome] = []

    def replan(fresh: Ticket) -> WriteBack | None:
        original = writes.get(fresh.id)
        if original is None:
            return None
        return revert_recheck(original, fresh, plan.fields_written.get(fresh.id, {}))

    batch = max(1, helpdesk.limits.batch_size)
    ids = list(writes)
    for start in range(0, len(ids), batch):
        chunk = [writes[i] for i in ids[start : start + batch]]
        helpdesk.write_batch(chunk, replan=replan, journal=ledger, report=outcomes.append)
    return outcomes
