"""One ticket's way through a run: prepare → triage → plan the change → write → record.

``TicketFlow`` owns everything a run tracks per ticket, in one place: the tickets in flight
(one ``_InFlight`` each), the bounded slots that keep memory flat, the page checkpoint, the
retry counts; what it counts it tells the run's recorder (``record.RunRecorder``, which also
logs each end). Every ticket that is taken ends in exactly one of
``_triaged``, ``fail`` or ``defer`` — the one closing path — which settles (or abandons) it in
the checkpoint, releases its slot and reports progress.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import RunOutOfTime, StopRequested
from ..features.registry import ticket_watchers
from ..learned.outcomes import observe_outcome, observe_shadow_outcome
from ..models import Ticket, Triage, WriteBack, WriteOutcome, is_spam
from ..passes.types import PlannedChange
from ..state.checkpoint import Checkpoint
from ..steps.shown import SHOWN_KEY
from ..triage.prepare import PreparedTicket, prepare_ticket
from ..writeback.batch_writer import Writer
from ..writeback.note import field_values
from ..writeback.noted import note_id_of
from ..writeback.scope import choose
from ..writeback.triage_change import is_processed
from .context import RunContext
from .record import RunRecorder


@dataclass
class _InFlight:
    ticket: Ticket  # without its body: what the write-back needs
    subject: str  # the prepared (redacted) subject, for the dry-run table
    started: float
    triage: Triage | None = None
    # Field values the ticket's own text gives (``triage.fields``), found before its body is
    # let go; the plan keeps those whose field is still empty on the ticket as it is then.
    found: dict[str, str] = field(default_factory=dict)
    # What each step (``ctx.steps``, in order) keeps of its reading of the ticket's own text,
    # for the re-plan before its write (``TicketStep.keep``).
    readings: tuple[Any, ...] = ()


# Analyses that may wait on the batch writer at once (see ``TicketFlow.__init__``).
WAITING_ON_WRITES = 300


class TicketFlow:
    """Takes tickets, runs them through the chain on a pool, closes each exactly once."""

    def __init__(
        self,
        ctx: RunContext,
        record: RunRecorder,
        checkpoint: Checkpoint,
        should_stop: Callable[[], str | None],
    ) -> None:
        options = self.options = ctx.options
        self.chain = list(ctx.chain)
        self.cache = ctx.cache
        self.planner = ctx.planner
        self.log = ctx.log
        self.checkpoint = checkpoint
        self.should_stop = should_stop
        self.clock = ctx.runtime.clock
        self.on_progress = ctx.on_progress
        self.writer: Writer | None = None
        self.retry: dict[int, int] = {}
        self._lock = threading.Lock()
        self._inflight: dict[int, _InFlight] = {}
        # A ticket holds its slot from being taken until its write-back finished (the cursor
        # moves only past settled tickets): ``workers`` analysing, plus analyses waiting on the
        # batch writer. The room for the waiting is three jobs of Zendesk's 100-ticket
        # ``update_many``: the writer can fill a whole job while one runs and one is polled, and
        # a helpdesk slower than the LLM holds the run to that many finished analyses in memory
        # instead of the whole page.
        self._slots = threading.BoundedSemaphore(options.workers + WAITING_ON_WRITES)
        self._closed = False  # after a stop's grace: late results are dropped, not written
        self._futures: set[Future[None]] = set()
        self.record = record
        self.steps = tuple(ctx.steps)

        self.observe = ctx.observe
        self.watchers = ticket_watchers()  # the features' look at every ticket read

    # -- taking a ticket (main thread) --------------------------------------------------

    def should_skip(self, ticket: Ticket) -> bool:
        """Out of scope, already done (marker), solved or closed: counted, not taken."""
        opts = self.options
        if opts.shadow:  # what agents set, for the shadow decisions' agreement
            observe_shadow_outcome(self.log, ticket, opts.prefix, opts.shadow_labels)
        else:
            observe_outcome(self.log, ticket, opts.prefix)  # agents' corrections
            for sees in self.watchers:  # the ratings: agents' feedback tags
                sees(self.log, ticket, opts.prefix)
        choice = choose(
            ticket, scope=opts.scope, prefix=opts.prefix, force=opts.force and bool(opts.ticket_ids)
        )
        if choice == "take":
            return False
        self.record.passed_by(choice)
        with self._lock:
            self.retry.pop(ticket.id, None)
        return True

    def take(self, pool: ThreadPoolExecutor, ticket: Ticket) -> None:
        self._slots.acquire()
        self.checkpoint.take(ticket.id)
        prepared = prepare_ticket(
            ticket.subject,
            ticket.description,
            max_tokens=self.options.max_input_tokens,
            people=ticket.people,
        )
        found = self.planner.field_values(ticket)
        # What each step needs of the ticket's own text, read before the body is let go.
        readings = tuple(step.read(ticket, prepared) for step in self.steps)
        # While the ticket waits on the writer, only what a re-plan needs of them.
        kept = tuple(step.keep(r) for step, r in zip(self.steps, readings, strict=True))
        slim = ticket.model_copy(update={"description": ""})
        with self._lock:
            self._inflight[ticket.id] = _InFlight(
                slim, prepared.subject, self.clock(), found=found, readings=kept
            )
        future = pool.submit(self._work, slim, prepared, found, readings)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def running(self) -> set[Future[None]]:
        """Analyses queued or under way."""
        with self._lock:
            return set(self._futures)

    # -- analysing (worker threads) ------------------------------------------------------

    def _work(
        self,
        ticket: Ticket,
        prepared: PreparedTicket,
        found: dict[str, str],
        readings: tuple[Any, ...] = (),
    ) -> None:
        reason = self.should_stop()
        if reason is not None:
            self.defer(ticket.id, reason)
            return
        try:
            result = self.cache.triage(prepared, self.chain, self.options.engine)
            for step, reading in zip(self.steps, readings, strict=True):
                result = step.judge(ticket, prepared, reading, result)
            writeback = self.planner.plan(ticket, result, found, prepared)
            writeback = self._attach(ticket, result, writeback, readings, replanned=False)
        except RunOutOfTime as exc:
            self.defer(ticket.id, _why(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a bug in one ticket must not sink the batch
            self.fail(ticket.id, "analyse", type(exc).__name__, str(exc))
            return
        with self._lock:
            entry = self._inflight.get(ticket.id)
            if entry is None or self._closed:
                return  # the run stopped meanwhile; this ticket stays for the next run
            entry.triage = result
            # A ticket no customer wrote (the spam gate) is never part of an incident.
            if self.observe is not None and not is_spam(result):
                self.observe(ticket, prepared, result)
            if self.options.dry_run:
                self.record.planned(self._planned(ticket.id, entry.subject, result, writeback))
        self.record.decided(ticket, result, writeback, self._step_fields(ticket.id), prepared)
        assert self.writer is not None
        self.writer.add(writeback)

    def _step_fields(self, ticket_id: int) -> dict[str, Any]:
        """What each step decided, for the audit store, and the sections the steps make of
        it for the dashboard's ticket page (``steps.shown``: data in the event, so the page
        shows them without knowing the steps)."""
        decided: dict[str, Any] = {}
        sections = []
        for step in self.steps:
            fields = step.audit_fields(ticket_id)
            decided.update(fields)
            section = step.shown(fields) if fields else None
            if section is not None:
                sections.append(section.stored())
        if sections:
            decided[SHOWN_KEY] = sections
        return decided

    def _planned(
        self, ticket_id: int, subject: str, triage: Triage, writeback: WriteBack
    ) -> PlannedChange:
        """The dry run's row: the change, and per field what the run would do with it."""
        titles = self.planner.field_titles()
        # A field the engine's calibration does not decide applies (``triage_tags``).
        decided = self.planner.decisions(triage)
        return PlannedChange(
            ticket_id,
            subject,
            triage,
            writeback,
            decisions={
                name: decided.get(name, "apply") for name, _ in field_values(triage.analysis)
            },
            fields={
                titles.get(k, k): v
                for k, v in self.planner.shown_values(writeback.custom_fields).items()
            },
        )

    def replan(self, fresh: Ticket) -> WriteBack | None:
        """The change for a ticket read again before (re)writing; None when already marked."""
        if is_processed(fresh.tags, self.options.prefix) and not self.options.force:
            return None
        with self._lock:
            entry = self._inflight.get(fresh.id)
        if entry is None or entry.triage is None:
            return None
        if not fresh.people and entry.ticket.people:
            # A write's batch read (Freshdesk's list) names none of the ticket's people: the
            # first reading's are still its own, whose names what the plan says leaves out.
            fresh = fresh.model_copy(update={"people": entry.ticket.people})
        writeback = self.planner.plan(fresh, entry.triage, entry.found)
        return self._attach(fresh, entry.triage, writeback, entry.readings, replanned=True)

    def _attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        readings: tuple[Any, ...],
        *,
        replanned: bool,
    ) -> WriteBack:
        """The planned change with each step's part added, in the steps' order."""
        if not self.steps:
            return writeback
        language = self.planner.note_language(ticket.id)
        for step, reading in zip(self.steps, readings, strict=True):
            writeback = step.attach(
                ticket, triage, writeback, reading, replanned=replanned, language=language
            )
        return writeback

    # -- closing a ticket: exactly one of these per taken ticket -------------------------

    def on_written(self, outcome: WriteOutcome) -> None:
        if isinstance(outcome.error, RunOutOfTime):
            # Not written before the run's bound, or its job is still queued: not a failure.
            # The page is read again next run; a queued job is waited for first (the journal).
            with self._lock:
                taken = outcome.ticket_id in self._inflight
            if taken:
                self.defer(outcome.ticket_id, _why(outcome.error))
            return
        with self._lock:
            entry = self._inflight.pop(outcome.ticket_id, None)
        if entry is None:
            return
        if outcome.error is not None or entry.triage is None:
            error = outcome.error
            self._close_failed(
                outcome.ticket_id,
                "write",
                type(error).__name__ if error else "Unknown",
                str(error) if error else "no analysis",
            )
        elif outcome.writeback is None:
            # The marker appeared between our read and our write: another ticketbot (a second
            # host on this helpdesk) or a write of ours whose answer was lost. Not ours to count.
            self.record.second_writer()
            with self._lock:
                self.retry.pop(outcome.ticket_id, None)
            self.log.emit("ticket_already_marked", ticket_id=outcome.ticket_id)
        else:
            self._triaged(entry, entry.triage, outcome.writeback, note_id_of(outcome))
        self._settle(outcome.ticket_id)

    def fail(self, ticket_id: int | None, stage: str, error_type: str, error: str) -> None:
        """A ticket that failed before its write (analysis, or malformed at discovery)."""
        if ticket_id is not None:
            with self._lock:
                taken = self._inflight.pop(ticket_id, None) is not None
        else:
            taken = False
        self._close_failed(ticket_id, stage, error_type, error)
        if taken and ticket_id is not None:
            self._settle(ticket_id)

    def defer(self, ticket_id: int, reason: str) -> None:
        """Leave a taken ticket to the next run (the run is stopping); its page is read again."""
        with self._lock:
            self._inflight.pop(ticket_id, None)
        self.planner.forget(ticket_id)
        self.record.deferred(1, reason)
        self.checkpoint.abandon(ticket_id)
        self._slots.release()
        self.on_progress("ticket")

    def close(self) -> int:
        """Drop whatever is still analysing (a stop's grace ran out); how many were dropped."""
        with self._lock:
            self._closed = True
            left = list(self._inflight)
            self._inflight.clear()
        self.record.deferred(len(left))
        for ticket_id in left:
            self.planner.forget(ticket_id)
            self.checkpoint.abandon(ticket_id)
        return len(left)

    def _settle(self, ticket_id: int) -> None:
        # Its event is logged: nothing re-plans it in this run (``serve`` takes it afresh).
        self.planner.forget(ticket_id)
        self.checkpoint.settle(ticket_id)
        self._slots.release()
        self.on_progress("ticket")

    def _close_failed(self, ticket_id: int | None, stage: str, error_type: str, error: str) -> None:
        if ticket_id is not None:
            with self._lock:
                self.retry[ticket_id] = self.retry.get(ticket_id, 0) + 1
        self.record.failed(ticket_id, stage, error_type, error)

    def _triaged(
        self, entry: _InFlight, triage: Triage, wb: WriteBack, note_id: str | None = None
    ) -> None:
        with self._lock:
            self.retry.pop(entry.ticket.id, None)
        self.record.triaged(entry.ticket, self.clock() - entry.started, triage, wb, note_id)


def _why(exc: RunOutOfTime) -> str:
    """Why a wait left a ticket to the next run: the signal that ended it, or the bound."""
    return exc.signal_name if isinstance(exc, StopRequested) else "max_runtime"
