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
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from ..common.ticket_stream import TicketStream, holds_updates_since
from ..errors import CursorRejectedError, TicketBotError
from ..models import Cursor, Ticket, TicketPage
from ..resilience.deadline import RunDeadline
from ..writeback.scope import in_shard
from .context import RunContext
from .record import RunRecorder
from .recovered import Recovered, record_landed


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
            self.log.emit(
                "state_file_set_aside",
                level="warning",
                file=aside.file,
                moved_to=aside.moved_to,
                reason=aside.reason,
            )

    def save_retry_queue(self, retry: Mapping[int, int]) -> None:
        keep = {k: v for k, v in retry.items() if v < RETRY_LIMIT}
        for ticket_id in set(retry) - set(keep):
            self.log.emit("ticket_given_up", ticket_id=ticket_id, attempts=RETRY_LIMIT)
        self.ledger.save_retry_queue(keep)
