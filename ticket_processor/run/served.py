"""Tickets triaged as deliveries name them: a run's parts, built once, for ``ticketbot serve``.

``ServedTriage`` builds from the settings what ``run_once`` builds — the engine chain, the
analysis cache (with the help-centre index when there is one), the helpdesk adapter and its
breaker, the routes, the fields, the planner — once, when the server starts, and keeps them.
``take`` then reads the tickets a batch of deliveries names in one batched read
(``Helpdesk.tickets``) and sends each through the run's own parts:

- a ticket not triaged yet goes through ``flow.TicketFlow`` (prepare and redact → the chain →
  the planner) into a ``writer.BatchWriter``: ``update_many`` jobs, journalled, flushed within
  ``FLUSH_AFTER`` seconds, re-planned against the ticket as it is; the note's trailer and the
  processed marker make a second delivery, or the cron run's discovery, find it done;
- a triaged ticket named for a customer's reply goes through the reply pass's judging
  (``replies.ReplyPass``), through its own batched writer, as the cron run re-triages replies;
- with answers on, a ticket is answered as a run answers it (the same step, guards and mode):
  once its batch's note is written, the reply it announces is sent (``flush_state``).

Every write batch holds the state directory's per-ticket claims (``state.claims``), which the
cron run's writers hold too: the two never write one ticket at once, and neither holds a lock
longer than a batch. The server's own state (write journal, reply book, analysis cache,
breakers, ``last_run.json``) lives in ``<state dir>/serve``, so a cron run's recovery never
settles a served write half-way. Every event it logs carries ``source: "serve"``.

Each ticket taken ends in exactly one call of ``hooks.settled(ticket_id, outcome)``:
``done`` (written, already done, skipped, nothing to change), ``retry`` (failed: another
attempt later) or ``left`` (the server stopped first): the delivery queue finishes or keeps the
delivery accordingly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from ..alerts.escalation import EscalationWatch
from ..common.atomic import SET_ASIDE_EVENT
from ..common.baseline import day_of
from ..common.eventlog import EventLog, EventSink, new_run_id
from ..errors import AuthError
from ..helpdesks.registry import serve_pacing
from ..journal.served import SERVE_DIR, Seen, SeenJournal, sighting_fields
from ..models import Engine, Suggestion, Ticket, Triage, WriteBack, WriteOutcome
from ..passes.types import RunSummary
from ..resilience.stopping import StopFlag
from ..settings import Settings
from ..state.checkpoint import Checkpoint
from ..state.ledger import RunLedger
from ..triage.confidence import Decision
from ..triage.prepare import PreparedTicket, prepare_ticket
from ..writeback.scope import CLOSED
from ..writeback.triage_change import is_processed
from .audit import close_audit
from .build import Harness, build, open_feed, served_escalations
from .catchup import CatchUp
from .context import RunContext
from .discovery import LedgerUpkeep
from .pipeline import flow_writer, step_run, ticket_work
from .record import RunRecorder
from .runner import run_context, run_options, write_claims

FLUSH_AFTER = 1.0  # seconds a partial write batch waits for more tickets
STOP_GRACE = 10.0  # seconds analyses under way get to finish when the server stops

Event = Literal["created", "reply", "updated"]
Outcome = Literal["done", "retry", "left"]


def _ignore_settled(ticket_id: int, outcome: Outcome) -> None:
    return None


def _ignore_triaged(ticket_id: int, triage: Triage) -> None:
    return None


def _ignore_event(event: str, fields: Mapping[str, Any]) -> None:
    return None


@dataclass(frozen=True)
class ServeHooks:
    """What the server hears: each ticket's end, each triage (engine, fallback), each event."""

    settled: Callable[[int, Outcome], None] = _ignore_settled
    triaged: Callable[[int, Triage], None] = _ignore_triaged
    event: Callable[[str, Mapping[str, Any]], None] = _ignore_event


class _SourceSink:
    """The event log with ``source: "serve"`` on every event (``report`` counts them)."""

    def __init__(self, log: EventLog, hear: Callable[[str, Mapping[str, Any]], None]) -> None:
        self._log, self._hear = log, hear

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        record = self._log.emit(event, source="serve", **fields)
        self._hear(event, record)
        return record


class _Settling(Checkpoint):
    """A checkpoint without pages or cursors: it tells the server when each ticket ends."""

    def __init__(self, on_end: Callable[[int, bool], None]) -> None:
        super().__init__()
        self._on_end = on_end

    def open_page(self, after_cursor: object) -> None:
        return None

    def take(self, ticket_id: int) -> None:
        return None

    def close_page(self, *, complete: bool = True) -> None:
        return None

    def settle(self, ticket_id: int) -> None:
        self._on_end(ticket_id, True)

    def abandon(self, ticket_id: int) -> None:
        self._on_end(ticket_id, False)


class _Recorder(RunRecorder):
    """The run's recorder, telling the server of each triage too (metrics)."""

    def __init__(
        self,
        ctx: RunContext,
        summary: RunSummary,
        hear: Callable[[int, Triage], None],
        wrote: Callable[[Ticket, Triage], None],
    ) -> None:
        super().__init__(ctx, summary)
        self.hear = hear
        self.wrote = wrote

    def triaged(
        self,
        ticket: Ticket,
        seconds: float,
        triage: Triage,
        wb: WriteBack,
        note_id: str | None = None,
    ) -> None:
        super().triaged(ticket, seconds, triage, wb, note_id)
        self.wrote(ticket, triage)
        self.hear(ticket.id, triage)


@dataclass(frozen=True)
class Analysed:
    """The triage API's answer for a text: what a run would decide, nothing written."""

    triage: Triage
    decisions: dict[str, Decision]
    route: dict[str, Any]
    suggestions: tuple[Suggestion, ...] = field(default=())
    # What the steps add for the text (``TicketStep.api_fields``, by the field each step names).
    steps: Mapping[str, Any] = field(default_factory=dict)


class ServedTriage:
    """The run's parts, held for the server's life. Build it (slow: models load) off the
    event loop; ``take`` from one worker thread; ``close`` once."""

    # Over 100 lines: the server's parts come from run/build; what follows wires them into
    # the flow, the reply pass and the writers in the order recovery needs (recover before the
    # first write), which reads best in one place.
    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine = "llm",
        hooks: ServeHooks,
        run_id: str | None = None,
    ) -> None:
        settings.require_helpdesk()
        self.hooks = hooks
        self.state_dir = settings.state_dir / SERVE_DIR
        ledger = RunLedger(self.state_dir)
        ledger.validate_all()
        self.run_id = run_id or new_run_id()
        self._log = EventLog(settings.log_dir, run_id=self.run_id, secrets=settings.scrubber())
        # Notes each escalation once written: the channels get it after its batch.
        log = self._watch = EscalationWatch(_SourceSink(self._log, hooks.event))
        for aside in ledger.take_set_aside():  # said at start, not at the first delivery
            log.emit(SET_ASIDE_EVENT, **aside.logged())
        # Every decision and write the server makes goes to the audit store too, as a run's.
        self._feed = open_feed(settings, self._log, run_id=self.run_id, mode="serve")
        # Set when the stop's grace is over: every wait still under way (a 429's Retry-After,
        # the LLM's rate limit) ends then, and its ticket is left for the restart.
        self._waits = StopFlag()
        try:
            self.parts = build(
                settings,
                run_options(settings, engine=engine),
                run_id=self.run_id,
                log=log,
                ledger=ledger,
                # The runs' alert memory: a stale field is alerted once whoever saw it first.
                alert_ledger=RunLedger(settings.state_dir),
                harness=Harness(
                    sleep=self._waits.sleep,
                    stop=self._waits,
                    burst_reads=True,  # tickets arrive as they are created: read at once
                    kb_read_only=True,  # the cron run keeps the help-centre index fresh
                    answers_served=True,  # its tickets answered as they come, as a run's
                    reopens=True,  # a nightly sync reaches the running server
                ),
            )
        except BaseException:
            close_audit(self._feed)
            raise
        choice = self.parts.choice
        self.engines = choice.names
        self.options = options = self.parts.options
        self._cache = self.parts.cache
        self.helpdesk = self.parts.helpdesk
        self.gather = serve_pacing(self.helpdesk.kind)  # HelpdeskKind.gather_between
        self._kb = self.parts.kb
        self.planner = self.parts.planner
        self.escalations = served_escalations(settings, self.parts, self._watch, self.run_id)
        # What the server wrote, for the cron run's rising counts and incident grouping
        # (``served_seen``); with incidents on, each ticket's sighting waits here until written.
        self._seen = SeenJournal(self.state_dir)
        self._sighted: dict[int, dict[str, Any]] = {}
        self._sighted_lock = threading.Lock()
        self._stopping = threading.Event()
        self.ctx = self._context(settings, ledger, log)
        self.summary = RunSummary(run_id=self.run_id, helpdesk=self.helpdesk.kind)
        self.summary.engine = options.engine
        self.recorder = _Recorder(self.ctx, self.summary, hooks.triaged, self._written)
        self.recorder.warn(*choice.notes, *self._kb.warnings, *self.parts.warnings)
        self._lock = threading.Lock()
        self._busy: set[int] = set()
        self._pool = ThreadPoolExecutor(max(1, options.workers), thread_name_prefix="serve")
        work = ticket_work(
            self.ctx,
            self.recorder,
            _Settling(self._flow_ended),
            self._stop_reason,
            reply_checkpoint=_Settling(self._reply_ended),
        )
        self.flow, self.book, self.replies = work.flow, work.book, work.replies
        # What the steps' own writes work with (the running summary's, per delivery batch).
        self._step_run = step_run(self.ctx)
        self._upkeep = LedgerUpkeep(self.ctx, self.recorder)
        self._announce(log)
        # A killed server's writes are settled before anything is written again.
        self._upkeep.recover()
        self.flow.writer = flow_writer(self.ctx, self.flow, self._on_written)
        self.replies.writer = self.replies.open_writer()
        self._closed = False
        self._book_changed = threading.Event()
        self._started = time.monotonic()

    def _announce(self, log: EventSink) -> None:
        """``run_started`` for the server's life, as a run's (``report`` reads it)."""
        options = self.parts.options
        log.emit(
            "run_started",
            helpdesk=self.helpdesk.kind,
            engine=options.engine,
            chain=self.engines,
            mode="serve",
            dry_run=False,
            shadow=False,
            workers=options.workers,
            limit=None,
            since=None,
            query=None,
            served=True,
        )

    def _context(self, settings: Settings, ledger: RunLedger, log: EventSink) -> RunContext:
        """A served flow's context: the run's, with the server's stop, pace and sightings."""
        return run_context(
            settings,
            self.parts,
            run_id=self.run_id,
            ledger=ledger,
            log=log,
            audit=self._feed,
            claims=write_claims(settings, sleep=self._waits.sleep),
            stop_signal=self._stop_reason,
            observe=self._sighting if settings.incidents else None,
            writer_flush_after=FLUSH_AFTER,
        )

    # -- taking tickets (the server's worker thread) ---------------------------------------

    def busy(self) -> set[int]:
        """Tickets under way: a delivery naming one waits until it ends."""
        with self._lock:
            return set(self._busy)

    def warm_up(self) -> str | None:
        """Load the first engine before the first delivery, when it is a local one (the learned
        model and its sentence encoder take seconds on first use); never an LLM call. The
        engine warmed, or None."""
        first = self.ctx.chain[0] if self.ctx.chain else None
        if first is None or first.name not in ("learned", "rules"):
            return None
        sample = prepare_ticket("Warm-up", "Loading the model before the first ticket arrives.")
        try:
            first.analyse(sample)
        except Exception as exc:  # noqa: BLE001 - the chain falls back on the ticket itself
            self._log.emit("serve_warm_up_failed", level="warning", error=type(exc).__name__)
            return None
        return first.name

    def _sighting(self, ticket: Ticket, prepared: PreparedTicket, triage: Triage) -> None:
        with self._sighted_lock:
            self._sighted[ticket.id] = sighting_fields(ticket, prepared, triage)

    def _written(self, ticket: Ticket, triage: Triage) -> None:
        """A ticket the server triaged and wrote, for the next cron run (``served_seen``)."""
        category, sub = triage.analysis.category, triage.analysis.subcategory
        keys = {category: 1, **({f"{category}/{sub}": 1} if sub else {})}
        with self._sighted_lock:
            sighting = self._sighted.pop(ticket.id, None)
        self._seen.record(Seen(ticket.id, day_of(ticket.created_at), keys, sighting))

    def take(self, wanted: Mapping[int, Event]) -> None:
        """Read the named tickets (one batched read) and start each; tickets already under
        way must not be named (``busy``). Each ends in one ``hooks.settled``."""
        if not wanted:
            return
        with self._lock:
            self._busy.update(wanted)
        try:
            tickets = self.helpdesk.tickets(sorted(wanted))
        except Exception as exc:
            if isinstance(exc, AuthError):  # the session ends aborted, as a run would
                self.recorder.aborted(str(exc))
            for ticket_id in wanted:
                self._end(ticket_id, "retry")
            raise
        found = {ticket.id for ticket in tickets}
        for ticket_id in set(wanted) - found:  # no such ticket (deleted, or a forged id)
            self.ctx.log.emit("served_ticket_missing", ticket_id=ticket_id)
            self._end(ticket_id, "done")
        for ticket in tickets:
            try:
                self._start(ticket, wanted[ticket.id])
            except Exception as exc:  # noqa: BLE001 - one ticket must not sink the others
                self.ctx.log.emit(
                    "served_ticket_failed",
                    level="warning",
                    ticket_id=ticket.id,
                    error_type=type(exc).__name__,
                    error=str(exc),
                )
                self._end(ticket.id, "retry")
        for step in self.ctx.steps:
            step.served(self._step_run, sorted(found))

    def _start(self, ticket: Ticket, event: Event) -> None:
        self.recorder.seen()
        opts = self.options
        done = is_processed(ticket.tags, opts.prefix)
        if done and event != "created" and opts.retriage and ticket.status not in CLOSED:
            conversation = self.helpdesk.conversation(ticket.id)
            if conversation is None or not self.replies.take(self._pool, conversation):
                self._end(ticket.id, "done")
            return
        if self.flow.should_skip(ticket):
            self._end(ticket.id, "done")
            return
        self.flow.take(self._pool, ticket)

    def catch_up(self) -> CatchUp:
        """The server's catch-up (``catchup.CatchUp``): on the very first start, it marks now."""
        return CatchUp(self.ctx, self.recorder, self.book)

    # -- the triage API ---------------------------------------------------------------------

    def analyse(self, subject: str, description: str) -> Analysed:
        """What a run would decide for this text (redacted before any engine sees it, as in a
        run); nothing is read from or written to the helpdesk."""
        prepared = prepare_ticket(subject, description, max_tokens=self.options.max_input_tokens)
        result = self.ctx.cache.triage(prepared, list(self.ctx.chain), self.options.engine)
        ticket = Ticket(id=0, subject=prepared.subject, description=prepared.body, status="new")
        decisions = self.planner.decisions(result)
        decision = self.planner.route(ticket, result, decisions)
        route = {
            "routes": list(decision.routes),
            "group": decision.group_name,
            "group_id": decision.group_id,
            "assignee": decision.assignee_name,
            "tags": list(decision.tags),
            "escalate": decision.escalate,
        }
        steps: dict[str, Any] = {}
        for step in self.ctx.steps:
            steps.update(step.api_fields(prepared, result))
        return Analysed(result, decisions, route, result.suggestions, steps)

    # -- each ticket's end ------------------------------------------------------------------

    def _on_written(self, outcome: WriteOutcome) -> None:
        self.flow.on_written(outcome)
        if outcome.error is None and outcome.writeback is not None:
            self.book.wrote(outcome.ticket_id, outcome.updated_at)
            self._book_changed.set()

    def _flow_ended(self, ticket_id: int, settled: bool) -> None:
        # A failed ticket settles too, and is counted in the flow's retry table: the delivery
        # is kept for another attempt (the queue's), not the flow's next run.
        failed = self.flow.retry.pop(ticket_id, None) is not None
        with self._sighted_lock:  # written (journalled by then) or not: its sighting is spent
            self._sighted.pop(ticket_id, None)
        self._end(ticket_id, "done" if settled and not failed else self._not_done())

    def _reply_ended(self, ticket_id: int, settled: bool) -> None:
        self._book_changed.set()
        self._end(ticket_id, "done" if settled else self._not_done())

    def _not_done(self) -> Outcome:
        # Left because the server stops is not a failure: the delivery waits for the restart.
        return "left" if self._stopping.is_set() else "retry"

    def _end(self, ticket_id: int, outcome: Outcome) -> None:
        with self._lock:
            if ticket_id not in self._busy:
                return
            self._busy.discard(ticket_id)
        self.hooks.settled(ticket_id, outcome)

    def _stop_reason(self) -> str | None:
        return "SIGTERM" if self._stopping.is_set() else None

    # -- stopping ---------------------------------------------------------------------------

    def close(self, *, grace: float = STOP_GRACE) -> None:
        """Let the analyses under way finish (``grace`` seconds), write what they planned,
        save the state and record the session (``run_finished``, ``last_run.json``)."""
        if self._closed:
            return
        self._closed = True
        self._pool.shutdown(wait=False)
        waited = threading.Event()

        def drain() -> None:
            self._pool.shutdown(wait=True)
            waited.set()

        threading.Thread(target=drain, daemon=True).start()
        if not waited.wait(grace):
            self._stopping.set()
            self._waits.set("SIGTERM")
            dropped = self.flow.close()
            self.recorder.abandoned(dropped)
        for writer in (self.flow.writer, self.replies.writer):
            if writer is not None:
                writer.close()
        self._after_writes()  # the last batch's replies (a stop past its grace sends none)
        for step in self.ctx.steps:
            step.close()
        with self._lock:
            left = list(self._busy)
        for ticket_id in left:  # still analysing when the grace ran out: kept for next time
            self._end(ticket_id, "left")
        self.book.save()
        self.escalations.deliver_new()
        self.escalations.close()  # what it did not deliver stays owed, for the restart
        self._cache.flush()
        self.recorder.conclude(time.monotonic() - self._started, None)
        self.recorder.write_record()
        self.parts.close()
        close_audit(self._feed)
        self._log.close()

    def _after_writes(self) -> None:
        # A batch's notes are written: the answers they announce are sent, as after a run's
        # writes (each read again first: a note not landed yet leaves its reply for later).
        for step in self.ctx.steps:
            step.after_writes(self._stop_reason)

    def flush_state(self) -> None:
        """Save what was written and which replies were judged, when that changed (between
        batches: a crash loses at most a batch's, and the notes' trailers still tell)."""
        if self._book_changed.is_set():
            self._book_changed.clear()
            self.book.save()
            self._after_writes()
        self.escalations.deliver_new()  # recorded, then sent by the thread of their own
        if self._feed is not None:  # what was written since reaches the store, as in a run
            self._feed.flush()
