"""A killed run's writes that landed, recorded in that run's name by the next run.

A run killed with writes in flight leaves them in the write journal, each triage write with
its decision (``state.journal.PlannedWrite``: the run that made it and the fields of its
``ticket_triaged`` event). Once the helpdesk has settled them (``Helpdesk.recover``: a job
waited for, a note looked for), the next run reads those tickets once, in bulk, and for each
whose write landed makes the killed run's record whole:

- what the killed run logged itself but the audit store never heard (the store is written in
  batches: a kill loses the last rows to it, never a line to the log) is handed to the store,
  its events from the first of these writes on;
- a write it did not live to log gets its ``ticket_triaged`` event now, in the killed run's
  name (``run_id``), with ``recovered_by`` naming the run that found it.

A write landed when the ticket carries every tag its decision added, the processed marker among
them: Zendesk writes the tags, the priority and the note in one update, Freshdesk its update
after the note, so the marker is the last of a write to land. A write that did not land is left
out: the ticket has no marker, so the finishing run triages it again and records it as its own.

Why in the killed run's name and not the finishing run's: the decision, its analysis and its
cost were the killed run's, and the audit store already holds it as that run's ``planned``
decision, which now becomes ``written`` (one decision per ticket, not a planned one left
behind beside a second, written one). So the log, ``report``, the audit store, the dashboard
and ``revert --run KILLED`` all tell the same story: every write the killed run made is its own,
and undoing that run undoes them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..common.eventlog import read_events
from ..state.journal import PlannedWrite
from ..writeback.triage_change import is_processed
from .context import RunContext


@dataclass(frozen=True)
class Recovered:
    """What the next run found of a killed run's triage writes."""

    landed: frozenset[int] = frozenset()  # tickets whose write landed
    recorded: int = 0  # of them, logged now in their run's name
    not_landed: int = 0  # written by no one: triaged again
    runs: tuple[str, ...] = field(default_factory=tuple)  # the runs they were decided by


def record_landed(ctx: RunContext, planned: Mapping[int, PlannedWrite]) -> Recovered:
    """Record the landed writes of ``planned`` in their runs' names (module docstring)."""
    if not planned:
        return Recovered()
    tickets = {t.id: t for t in ctx.helpdesk.tickets(sorted(planned))}
    landed = set()
    for ticket_id, write in planned.items():
        ticket = tickets.get(ticket_id)
        added = write.decision.get("tags_added")
        if ticket is None or not isinstance(added, list):
            continue
        if is_processed(ticket.tags, ctx.options.prefix) and set(added) <= set(ticket.tags):
            landed.add(ticket_id)
    runs = tuple(sorted({planned[i].run_id for i in landed}))
    logged = _logged_by_their_runs(ctx, {i: planned[i] for i in landed})
    recorded = 0
    for ticket_id in sorted(landed - logged):
        write = planned[ticket_id]
        ctx.log.emit(
            "ticket_triaged", run_id=write.run_id, recovered_by=ctx.run_id, **write.decision
        )
        recorded += 1
    return Recovered(frozenset(landed), recorded, len(planned) - len(landed), runs)


def _logged_by_their_runs(ctx: RunContext, landed: Mapping[int, PlannedWrite]) -> set[int]:
    """The tickets whose run logged their write itself; every event of those runs from their
    first write here on is handed to the audit store on the way (it may lack the last ones)."""
    if not landed or ctx.log_dir is None:
        return set()
    runs = {write.run_id for write in landed.values()}
    began = [_moment(write.began_at) for write in landed.values()]
    # A write of unknown start (a journal written by hand): every log read, as ``audit import``.
    since = min(began) if began and None not in began else None  # type: ignore[type-var]
    found: set[int] = set()
    for record in read_events(Path(ctx.log_dir), since=since):
        if record.get("run_id") not in runs:
            continue
        ctx.audit.event(record)
        ticket_id = record.get("ticket_id")
        if (
            record.get("event") == "ticket_triaged"
            and not record.get("dry_run")
            and isinstance(ticket_id, int)
            and ticket_id in landed
            and landed[ticket_id].run_id == record.get("run_id")
        ):
            found.add(ticket_id)
    return found


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
