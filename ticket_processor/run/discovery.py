"""Where a run's tickets come from, and which of them it takes.

``Discovery`` streams a run's pages: the tickets named with ``--ticket``, else the retry queue's
tickets first, then the helpdesk's pages from the run's cursor in the ledger (one page at a
time, through the shared ``common.ticket_stream.TicketStream``: the backlog is never held). A
cursor the helpdesk refuses is discarded, said, and discovery starts again from ``--since``. It
also decides, ticket by ticket, whether one is wanted (seen once a run, then ``scope.choose``)
and whether a page shows the run has caught up with its own write-backs.

``LedgerUpkeep`` settles what a run owes its ledger: a killed run's writes before anything is
read, the state files the ledger set aside (damaged, replaced by a safe default) reported, the
cursor saved, and the retry queue saved at the end, giving up a ticket after ``RETRY_LIMIT``
runs.

``record_landed``: a killed run's writes that landed, recorded in that run's name.

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

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..common.atomic import SET_ASIDE_EVENT
from ..common.eventlog import read_events
from ..common.ticket_stream import TicketStream, holds_updates_since
from ..errors import CursorRejectedError, TicketBotError
from ..models import Cursor, Ticket, TicketPage
from ..resilience.deadline import RunDeadline
from ..state.journal import PlannedWrite
from ..writeback.scope import in_shard
from ..writeback.triage_change import is_processed
from .context import RunContext
from .record import RunRecorder


class Discovery:
    """A run's pages and its choice of tickets; build one per run."""

    def __init__(self, ctx: RunContext, record: RunRecorder, *, tell_older: bool = True) -> None:
        self.ctx = ctx
        self.record = record
        # A first reading says what its window leaves behind (a first run); ``serve``'s
        # catch-up, which starts from the server's first start on purpose, does not.
        self.tell_older = tell_older
        self.stream = self._stream()

    def _stream(self) -> TicketStream:
        opts = self.ctx.options
        since = opts.since or (self.ctx.runtime.now() - timedelta(hours=24))
        return TicketStream(
            self.ctx.helpdesk,
            since=int(since.timestamp()),
            query=opts.query,
            on_rejected=self._refused,
        )

    def pages(self, retry: Iterable[int]) -> Iterator[TicketPage]:
        ctx, opts = self.ctx, self.ctx.options
        self.stream = self._stream()  # ``since`` counts back from when the reading starts
        retried = sorted(retry)
        if opts.ticket_ids:
            yield TicketPage(ctx.helpdesk.tickets(list(opts.ticket_ids)), None)
            return
        if retried and not opts.query:
            yield TicketPage(ctx.helpdesk.tickets(retried), None)
        cursor = None
        if not opts.query:
            cursor = ctx.ledger.load_cursor(ctx.helpdesk.kind, stream=ctx.stream)
        yield from self.stream.pages(cursor)
        if cursor is None and not opts.query and ctx.stream == "run" and self.tell_older:
            # After the pages, so credentials the export refused are not tried once more.
            self._tell_older()

    def _tell_older(self) -> None:
        """On a first run (no cursor yet): how many open tickets its window leaves, and how to
        take them. One count request; a helpdesk that cannot say leaves the run as it was."""
        began = datetime.fromtimestamp(self.stream.since, UTC)
        try:
            older = self.ctx.helpdesk.count_open_before(self.stream.since)
        except TicketBotError as exc:
            self.ctx.log.emit("older_tickets_unknown", level="warning", error=str(exc))
            return
        if not older:
            return
        self.ctx.log.emit("older_tickets_left", tickets=older, since=began.isoformat())
        self.record.warn(
            f"this first run reads the tickets changed since {began:%Y-%m-%d %H:%M} UTC; "
            f"{older} open ticket(s) last changed before then are left as they are: "
            "`ticketbot backfill --since DATE` (e.g. --since 90d) triages them"
        )

    def _refused(self, exc: CursorRejectedError) -> None:
        began = datetime.fromtimestamp(self.stream.since, UTC)
        self.ctx.log.emit("cursor_discarded", reason=f"{exc}; starting again from {began}")
        self.record.warn(f"the saved cursor was refused and discarded: {exc}")
        self.ctx.ledger.discard_cursor(stream=self.ctx.stream)

    def wanted(self, ticket: Ticket, should_skip: Callable[[Ticket], bool]) -> bool:
        """Seen once per run, in this shard, and not done already."""
        if not in_shard(ticket.id, self.ctx.options.shard):
            return False  # another shard's: not even seen here
        if not self.stream.first_sighting(ticket.id):
            return False  # reappeared in the export (updated meanwhile): handled once
        self.record.seen()
        return not should_skip(ticket)

    def at_limit(self, taken: int) -> bool:
        return self.ctx.options.limit is not None and taken >= self.ctx.options.limit

    def caught_up(self, page: TicketPage, started_at: datetime) -> bool:
        """The page holds a ticket updated since the run began (said): the run's own writes."""
        if not holds_updates_since(page, started_at):
            return False
        self.ctx.log.emit(
            "discover_caught_up",
            reason="reached tickets updated since this run began; the next run continues from here",
        )
        return True


RETRY_LIMIT = 5  # runs a failing ticket is retried in before it is given up (and logged)


def recovery_notice(tickets: int, jobs: int) -> str:
    """What the user is told when a run starts by settling a killed run's writes."""
    writes = "write" if tickets == 1 else "writes"
    queued = f" ({jobs} helpdesk job(s) to look up)" if jobs else ""
    return (
        f"finishing {tickets} {writes} of the interrupted run{queued}: a run stopped hard "
        "(kill -9, power loss) or cut short (its --max-runtime, a signal) left them "
        "unconfirmed; each is checked once, never written twice"
    )


def recovered_notice(found: Recovered) -> str:
    """What the user is told once a killed run's writes are settled: whose they are now."""
    said = []
    if found.landed:
        runs = ", ".join(found.runs)
        said.append(
            f"{len(found.landed)} had landed and are recorded as written by {runs} "
            f"(`ticketbot revert --run {found.runs[0]}` undoes them with the rest of that run)"
        )
    if found.not_landed:
        said.append(f"{found.not_landed} had not landed: this run triages them again")
    return "of the interrupted run's writes, " + "; ".join(said)


class LedgerUpkeep:
    """The ledger's side of one run."""

    def __init__(self, ctx: RunContext, record: RunRecorder) -> None:
        self.ctx = ctx
        self.helpdesk = ctx.helpdesk
        self.ledger = ctx.ledger
        self.log = ctx.log
        self.stream = ctx.stream
        self.notice = ctx.on_notice
        self.runtime = ctx.runtime
        self.settle_s = ctx.write_settle_s
        self.record = record
        self._saved_cursor: Cursor | None = None

    def save_cursor(self, cursor: Cursor | None) -> None:
        """Save the checkpoint's safe cursor when it moved (only then: a write each time)."""
        if cursor is None or cursor is self._saved_cursor:
            return
        self._saved_cursor = cursor
        self.ledger.save_cursor(cursor, helpdesk=self.helpdesk.kind, stream=self.stream)

    def recover(self, deadline: RunDeadline | None = None) -> None:
        """Settle a killed run's writes before reading tickets again."""
        inflight = self.ledger.inflight()
        if not inflight:
            return
        self._let_cut_writes_land(deadline)
        jobs = self.ledger.jobs()
        # Settling them may take a while (a job to poll, each ticket's notes to read): say
        # what the run is doing before it does it, not after a silence.
        self.notice(recovery_notice(len(inflight), len(jobs)))
        self.log.emit("run_recovering", tickets=len(inflight), jobs=len(jobs))
        kept = self.helpdesk.recover(jobs, sorted(inflight))
        found = record_landed(self.ctx, self.ledger.planned_writes())
        self.log.emit(
            "run_recovered",
            tickets=len(inflight),
            jobs=len(jobs),
            recorded=found.recorded,
            landed=len(found.landed),
            not_landed=found.not_landed,
            runs=list(found.runs),
        )
        if found.landed or found.not_landed:
            self.notice(recovered_notice(found))
        self.ledger.clear_journal()
        # Noted but not updated yet: a run killed again before it must still know. A ticket
        # whose whole write landed has nothing left to write.
        kept = [ticket_id for ticket_id in kept if ticket_id not in found.landed]
        if kept:
            self.ledger.begin(kept)

    def _let_cut_writes_land(self, deadline: RunDeadline | None) -> None:
        """A run that finished with writes unconfirmed (its bound or a signal gave up on them)
        may have left them still being answered: a note that lands after recovery looked for
        it would be written twice. Wait until the helpdesk's read timeout has passed since
        that run finished (a cron run minutes later never waits); ``RunOutOfTime`` when this
        run's own bound ends first, so the next run settles them."""
        last = self.ledger.last_run()
        if not last or not last.get("unsettled_writes"):
            return  # killed (no finish recorded), or nothing left: nothing is still in the air
        try:
            finished = datetime.fromisoformat(str(last["finished_at"]))
        except ValueError:
            return
        try:
            left = self.settle_s - (self.runtime.now() - finished).total_seconds()
        except TypeError:  # a time without its zone: not one this ledger wrote
            return
        if not 0 < left <= self.settle_s:
            return
        waited = left if deadline is None else deadline.cap(left)
        self.notice(
            f"waiting {left:.0f} s for the writes the last run cut short to land before "
            "looking for them (the helpdesk may still be answering them)"
        )
        self.log.emit("run_recovery_wait", seconds=round(left, 1))
        self.runtime.sleep(waited)
        if waited < left and deadline is not None:
            raise deadline.out_of_time("settling the interrupted run's writes")

    def report_set_aside(self) -> None:
        for aside in self.ledger.take_set_aside():
            self.record.set_aside(aside.file)
            self.log.emit(SET_ASIDE_EVENT, **aside.logged())

    def save_retry_queue(self, retry: Mapping[int, int]) -> None:
        keep = {k: v for k, v in retry.items() if v < RETRY_LIMIT}
        for ticket_id in set(retry) - set(keep):
            self.log.emit("ticket_given_up", ticket_id=ticket_id, attempts=RETRY_LIMIT)
        self.ledger.save_retry_queue(keep)


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
            "ticket_triaged", of_run=write.run_id, recovered_by=ctx.run_id, **write.decision
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
