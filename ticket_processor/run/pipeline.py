"""One run, orchestrated: recover → discover → fan out → flush → finish.

The pipeline owns the order of things and the guarantees between them; what happens to one
ticket is ``flow.TicketFlow``'s business, how a helpdesk is read and written the ``Helpdesk``
adapter's, what survives between runs the ``RunLedger``'s.

- A killed run's writes are settled before anything is read (``Helpdesk.recover``).
- Tickets that failed last time are read again first (the retry queue), then the helpdesk's
  pages from the saved cursor, one page at a time (``discovery.Discovery``; ledger upkeep in
  ``upkeep.LedgerUpkeep``). A cursor the helpdesk refuses is discarded and discovery starts
  again from ``--since`` (the processed marker keeps done tickets from being redone).
- After a page holding a ticket updated since the run began, discovery stops: what follows is
  the run's own write-backs, or new tickets the next run takes from the saved cursor.
- The cursor is saved whenever it advances past settled tickets, and once more at the end,
  also when the run aborts or is stopped, so no run re-reads what an earlier one finished.
- ``--limit``, ``--max-runtime`` and SIGINT/SIGTERM stop the taking of tickets; queued ones are
  deferred, analyses under way get ``stop_grace`` seconds, the writes are flushed.
- ``--max-runtime`` is a bound (``resilience.deadline.RunDeadline``): when its grace is over
  too, every wait ends (the helpdesk's calls, retries, rate-limit pauses and job polling; the
  analyses still running are abandoned) and what was not written is left to the next run
  (``RunOutOfTime``: deferred, not failed).
- The per-ticket machinery — the flow, the reply book and pass, the flow's writer — is made by
  ``ticket_work`` and ``flow_writer`` here, for the run and for ``serve`` (``served``) alike, and
  what the steps' own writes work with by ``step_run``.
- The summary is written once, at the end (``record.RunRecorder.write_record``): the
  ``run_finished`` event and, but for a dry run, ``last_run.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from ..common.id_set import IdSet
from ..errors import (
    AuthError,
    BreakerOpenError,
    HelpdeskError,
    RunAborted,
    RunOutOfTime,
    StopRequested,
    TicketBotError,
    abort_reason,
    failure_reason,
)
from ..exitcodes import ExitCode
from ..helpdesks.registry import reply_stamps
from ..models import Ticket, TicketPage, WriteOutcome
from ..passes.types import RunSummary
from ..resilience.deadline import RunDeadline
from ..state.checkpoint import Checkpoint
from ..state.replies import ReplyBook
from ..steps.protocol import StepRun
from ..writeback.batch_writer import BatchWriter, DryRunWriter, Writer
from ..writeback.scope import CLOSED, choose, in_shard
from .audit import audited
from .context import RunContext
from .discovery import Discovery, LedgerUpkeep
from .flow import TicketFlow
from .record import RunRecorder, run_started_fields
from .replies import ReplyPass


class Pipeline:
    """Runs one batch. Build it with the run's context; call ``run()`` once."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.helpdesk = ctx.helpdesk
        self.ledger = ctx.ledger
        self.log = ctx.log
        self.options = ctx.options
        self.clock = ctx.runtime.clock
        self.now = ctx.runtime.now
        self._stop_signal = ctx.stop_signal
        self.summary = RunSummary(
            run_id=ctx.run_id,
            helpdesk=ctx.helpdesk.kind,
            engine=ctx.options.engine,
            backfill=ctx.stream == "backfill",
        )
        self.recorder = RunRecorder(ctx, self.summary)
        self.checkpoint = Checkpoint()
        self.deadline = ctx.deadline
        self._started = 0.0
        self._started_at = self.now()
        self.discovery = Discovery(ctx, self.recorder)
        work = ticket_work(ctx, self.recorder, self.checkpoint, self._stop_reason)
        self.flow = work.flow
        # What re-triage on replies keeps (its cursor; per ticket, ticketbot's last write).
        self.book = work.book
        self._reply_pass = work.replies
        self._taken = IdSet()  # the tickets this run took: not judged again as replies
        # Triaged, open tickets the feed shows changed (a reply, an agent's comment): the
        # running summary's to refresh (summary/run_pass.py).
        self.changed = IdSet()
        self.upkeep = LedgerUpkeep(ctx, self.recorder)

    # -- the run ---------------------------------------------------------------------

    def run(self) -> RunSummary:
        self._started = self.clock()
        self._started_at = self.now()
        opts = self.options
        if self.deadline is None:
            self.deadline = RunDeadline(opts.max_runtime, clock=self.clock)
        chain = [engine.name for engine in self.flow.chain]
        self.log.emit(
            "run_started",
            **run_started_fields(opts, self.helpdesk.kind, chain),
            # So ``audit import`` stores a backfill's slice as ``backfill``, as its feed does.
            backfill=self.ctx.stream == "backfill",
        )
        self.upkeep.report_set_aside()
        try:
            if not (opts.dry_run or opts.shadow):
                self.upkeep.recover(self.deadline)
            self.flow.retry = self.ledger.retry_queue()
            self.upkeep.report_set_aside()
            self._process()
        except StopRequested as exc:
            # A signal ended a wait (a 429's Retry-After, recovery, a page read): progress saved.
            self.recorder.stopped_early(exc.signal_name)
            self.log.emit("run_stopped_waiting", reason=str(exc))
        except RunOutOfTime as exc:
            # The bound ended a wait (recovery, a page read): stopped, progress saved.
            self.recorder.stopped_early("max_runtime")
            self.log.emit("run_out_of_time", reason=str(exc))
        except (AuthError, BreakerOpenError, RunAborted, HelpdeskError) as exc:
            self._abort(abort_reason(exc, query=opts.query) or str(exc))
        except Exception as exc:
            # Not an abort the run expects (a state file, the disk, a fault of ours): the
            # command says it as its error, and the run's record says the run failed, never ok.
            code = exc.exit_code if isinstance(exc, TicketBotError) else ExitCode.ABORTED
            self.recorder.aborted(failure_reason(exc, query=opts.query), code)
            raise
        finally:
            self._finish()
        return self.summary

    def _process(self) -> None:
        opts = self.options
        # A shadow run writes nothing either.
        quiet = opts.dry_run or opts.shadow
        self.flow.writer = flow_writer(self.ctx, self.flow, self._on_written, quiet=quiet)
        pool = ThreadPoolExecutor(opts.workers, thread_name_prefix="analyse")
        taken = 0
        try:
            for page in self.discovery.pages(self.flow.retry):
                for event, reason in page.notices:
                    self.log.emit(event, reason=reason)
                    if event == "discover_paused":  # the read window: a backfill waits for it
                        self.recorder.stopped_early("read_window")
                self.checkpoint.open_page(page.next_cursor)
                # A solved ticket's conversation is over: the reply book lets it go.
                self.book.forget(t.id for t in page.tickets if t.status in CLOSED)
                taken, stop = self._take_page(pool, page, taken)
                for bad in page.malformed:
                    self.flow.fail(_ticket_id(bad), "discover", "MalformedTicket", "malformed")
                self.checkpoint.close_page(complete=stop is None)
                if stop is None and self.discovery.caught_up(page, self._started_at):
                    stop = "caught_up"
                if stop:
                    self.recorder.stopped_early(stop)
                    break
                # Its tickets are taken (the flow holds slim copies): let the page go before the
                # next is read and decoded, or a run holds two pages of tickets at its peak.
                del page
        finally:
            self._drain(pool)
        writer = self.flow.writer
        if writer is not None and writer.aborted is not None:
            raise RunAborted(str(writer.aborted))
        for step in self.ctx.steps:  # the first messages are written (answers: send them)
            step.after_writes(self._stop_reason)
        if self._retriage() and self._stop_reason() is None:
            self._replies()

    def _take_page(
        self, pool: ThreadPoolExecutor, page: TicketPage, taken: int
    ) -> tuple[int, str | None]:
        """Hand the page's wanted tickets to the flow; the tickets taken so far, and why the
        run stops taking (None: it goes on)."""
        for ticket in page.tickets:
            limit = "limit" if self.discovery.at_limit(taken) else None
            stop = self._stop_reason() or limit
            if stop:
                return taken, stop
            if not self.discovery.wanted(ticket, self.flow.should_skip):
                if self._changed_since(ticket):
                    self.changed.add(ticket.id)
                continue
            taken += 1
            self._taken.add(ticket.id)
            self.flow.take(pool, ticket)
        return taken, None

    def _changed_since(self, ticket: Ticket) -> bool:
        """A triaged, open ticket of this shard and scope: the feed shows it changed."""
        opts = self.options
        done = choose(ticket, scope=opts.scope, prefix=opts.prefix) == "done"
        return done and ticket.status not in CLOSED and in_shard(ticket.id, opts.shard)

    @property
    def taken(self) -> IdSet:
        """The tickets this run took for triage."""
        return self._taken

    def _retriage(self) -> bool:
        """Replies are re-triaged by scheduled live runs: not by dry or shadow runs, runs
        of named tickets or a query, or a backfill (``TICKETBOT_RETRIAGE=false``: never)."""
        opts = self.options
        return (
            opts.retriage
            and self.ctx.stream == "run"
            and not (opts.dry_run or opts.shadow or opts.query or opts.ticket_ids)
        )

    def _replies(self) -> None:
        replies = self._reply_pass
        with ThreadPoolExecutor(self.options.workers, thread_name_prefix="reply") as pool:
            replies.run(pool, self._taken, self._stop_reason)
        if replies.writer is not None and replies.writer.aborted is not None:
            raise RunAborted(str(replies.writer.aborted))

    def _drain(self, pool: ThreadPoolExecutor) -> None:
        """Let the analyses finish (a stop gives them ``stop_grace``), then flush the writes.

        Analyses still running when the grace is over are abandoned: their tickets are not
        written and their pages not passed, so the next run takes them again.
        """
        pool.shutdown(wait=False)
        grace_ends: float | None = None
        while True:
            pending = self.flow.running()
            if not pending:
                break
            if grace_ends is None and self._stop_reason() is not None:
                grace_ends = self.clock() + self.options.stop_grace
                if self.deadline is not None:
                    grace_ends = self.clock() + self.deadline.cap(self.options.stop_grace)
            if grace_ends is not None and self.clock() >= grace_ends:
                abandoned = self.flow.close()
                self.recorder.abandoned(abandoned)
                self.log.emit("run_abandoned", analyses=abandoned)
                break
            wait(pending, timeout=0.2)
        if self.flow.writer is not None:
            self.flow.writer.close()
        self._save_cursor()

    def _stop_reason(self) -> str | None:
        signal_name = self._stop_signal()
        if signal_name is not None:
            return signal_name
        if self.deadline is not None and self.deadline.spent():
            return "max_runtime"
        writer = self.flow.writer
        if writer is not None and writer.aborted is not None:
            return "aborted"
        return None

    # -- outcomes and state ------------------------------------------------------------

    def _on_written(self, outcome: WriteOutcome) -> None:
        self.flow.on_written(outcome)
        if outcome.error is None and outcome.writeback is not None and not self.options.dry_run:
            self.book.wrote(outcome.ticket_id, outcome.updated_at)
        self._save_cursor()

    def _save_cursor(self) -> None:
        if not (self.options.dry_run or self.options.query):
            self.upkeep.save_cursor(self.checkpoint.safe_cursor)

    def _abort(self, reason: str) -> None:
        self.recorder.aborted(reason)

    def _finish(self) -> None:
        for step in self.ctx.steps:
            step.totals(self.summary, self.recorder.price)
        self.recorder.conclude(self.clock() - self._started, self._stop_signal())
        if not self.options.dry_run:
            self._save_cursor()
            self.upkeep.save_retry_queue(self.flow.retry)
            self.book.save()
        self.upkeep.report_set_aside()
        self.recorder.write_record()


def _ticket_id(raw: dict[str, Any]) -> int | None:
    value = raw.get("id")
    return value if isinstance(value, int) else None


@dataclass
class TicketWork:
    """A run's new tickets (``flow``) and its customers' replies (``replies``, with the
    ``book`` of what was judged and written per ticket)."""

    flow: TicketFlow
    book: ReplyBook
    replies: ReplyPass


def ticket_work(
    ctx: RunContext,
    recorder: RunRecorder,
    checkpoint: Checkpoint,
    should_stop: Callable[[], str | None],
    *,
    reply_checkpoint: Checkpoint | None = None,
) -> TicketWork:
    """The flow and the reply pass on ``ctx``; ``checkpoint`` settles the flow's tickets,
    ``reply_checkpoint`` the replies' (default: the reply pass's own pages)."""
    flow = TicketFlow(ctx, recorder, checkpoint, should_stop)
    book = ReplyBook(ctx.ledger, ctx.helpdesk.kind, stamps=reply_stamps(ctx.helpdesk.kind))
    replies = ReplyPass(ctx, recorder, book)
    if reply_checkpoint is not None:
        replies.checkpoint = reply_checkpoint
    return TicketWork(flow, book, replies)


def flow_writer(
    ctx: RunContext,
    flow: TicketFlow,
    on_outcome: Callable[[WriteOutcome], None],
    *,
    quiet: bool = False,
) -> Writer:
    """The flow's writer: batched, journalled, re-planned against each ticket as it is, under
    the state directory's claims; ``quiet`` (a dry or shadow run): one that writes nothing."""
    if quiet:
        return DryRunWriter(on_outcome)
    return BatchWriter(
        ctx.helpdesk,
        journal=audited(ctx.ledger, ctx.audit, flow.record.take_planned),
        replan=flow.replan,
        on_outcome=on_outcome,
        flush_after=ctx.writer_flush_after,
        claims=ctx.claims,
    )


def step_run(ctx: RunContext, *, quiet: bool = False) -> StepRun:
    """What the steps' own writes and passes work with, on ``ctx``: the run's helpdesk, log,
    journal and claims (``quiet``, a dry or shadow run: no journal, nothing written)."""
    return StepRun(
        helpdesk=ctx.helpdesk,
        log=ctx.log,
        run_id=ctx.run_id,
        options=ctx.options,
        journal=None if quiet else audited(ctx.ledger, ctx.audit),
        claims=ctx.claims,
        flush_after=ctx.writer_flush_after,
        writes=not quiet,
    )
