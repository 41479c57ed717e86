"""How a run is recorded: ``RunRecorder``, the one writer of a run's ``RunSummary``.

Every part of a run that has something to count tells the recorder, never the summary itself:
discovery (a ticket seen, a warning), the ticket flow (triaged, failed, skipped, out of scope,
deferred, a second writer, a dry run's planned change), the reply pass (a reply and what it
changed, a reply that failed), the ledger's upkeep (a state file set aside) and the pipeline
(why the run stopped early, analyses abandoned, an abort). The recorder counts under its own
lock, so the summary is consistent whichever thread tells it; ``triaged`` and ``failed`` also
log ``ticket_triaged`` and ``ticket_failed`` with what was written.

``conclude`` sets the run's status and exit code once it stops; ``write_record``, once the state
is saved, names what limited the run first (``run_bound``) and writes the ``run_finished`` event
and ``last_run.json`` (which ``health`` reads), which say the same thing, written at once.

What the record needs is the run's log and ledger only (``record_run_end``), so a run that
fails before its pipeline opens the record, or by an error the pipeline cannot handle, is
recorded by ``record_failure`` as one aborted in it; ``errors.abort_reason`` is the one judgement of
which errors abort a run, and in what words, wherever the run met them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ..common.baseline import day_of
from ..common.eventlog import EventLog, EventSink
from ..errors import TicketBotError, abort_reason, failure_reason
from ..exitcodes import SIGNAL_EXIT, ExitCode
from ..llm_client.pacer import run_bound
from ..models import BATCH_PRICE_SHARE, Ticket, Triage, WriteBack, sanitise_tag
from ..passes.planner import routing_fields
from ..passes.protocol import RunEnd, RunPass, after_writes
from ..passes.types import PlannedChange, RunOptions, RunSummary
from ..state.journal import PlannedWrite
from ..state.ledger import RunLedger
from ..triage.chain import LLMEngine
from ..triage.confidence import field_decisions
from ..triage.prepare import PreparedTicket, stored_subject
from .context import RunContext

# What a step decided that the audit store keeps and the log does not: the drafted answer's
# text (the customer's words may be quoted in it) and the subject (personal data).
UNLOGGED = ("answer", "subject")
# At most this many tickets' step fields wait for their write: a ticket that ends neither
# written nor failed (another writer marked it, a stop) lets go; a server lives for days.
WAITING_STEPS = 10_000


class RunRecorder:
    """The run's account book: counts what the run's parts tell it and logs each ticket's end.
    Thread-safe; ``summary`` is for reading."""

    def __init__(self, ctx: RunContext, summary: RunSummary) -> None:
        self.ctx = ctx
        self.options = ctx.options
        self.log = ctx.log
        self.summary = summary
        self._lock = threading.Lock()
        self.price = ctx.price
        self.ticket_url = ctx.helpdesk.ticket_url
        # The triaged tickets' categories by the day each was created (ISO, None: not known),
        # for the rising counts: the summary's are the run's, these are the days'.
        self.created: dict[str | None, dict[str, int]] = {}
        # Whether any analysis had a calibrated confidence, which TICKETBOT_APPLY_AT applies to.
        self._analysed = self._calibrated = False
        # What the steps decided of each ticket planned and not yet written (``decided``), for
        # its ``ticket_triaged`` event: the store's row of the ticket is that event's once the
        # ticket is written, so what the event lacks the store would lose.
        self._steps: dict[int, dict[str, Any]] = {}
        # Each planned change's ``ticket_triaged`` fields until its write begins: the write
        # journal keeps them while it is in flight (``take_planned``), so the next run can
        # record a write this run made and was killed before logging.
        self._awaiting: dict[int, dict[str, Any]] = {}

    # -- what the run's parts tell it ---------------------------------------------------------

    def seen(self) -> None:
        """Discovery listed one more ticket."""
        with self._lock:
            self.summary.tickets_seen += 1

    def warn(self, *texts: str) -> None:
        """Something the run's summary and its closing line should say."""
        with self._lock:
            self.summary.warnings.extend(texts)

    def set_aside(self, *files: str) -> None:
        """State files that failed validation and were set aside."""
        with self._lock:
            self.summary.set_aside.extend(files)

    def passed_by(self, choice: str) -> None:
        """A ticket not taken: ``out_of_scope`` (the scope, a skip tag) or ``skip`` (done,
        solved or closed)."""
        if choice == "ours":
            return  # a ticket ticketbot opened (an incident's tracker): no customer's ticket
        with self._lock:
            if choice == "out_of_scope":
                self.summary.out_of_scope += 1
            else:
                self.summary.skipped += 1

    def planned(self, change: PlannedChange) -> None:
        """A dry run's change, for its table."""
        with self._lock:
            self.summary.planned.append(change)

    def second_writer(self) -> None:
        """The marker appeared between our read and our write: not ours to count."""
        with self._lock:
            self.summary.second_writer += 1

    def deferred(self, count: int, reason: str | None = None) -> None:
        """Taken tickets left to the next run; the first reason given is why the run stopped
        (none for analyses dropped after a stop's grace: the stop said why already)."""
        with self._lock:
            self.summary.deferred += count
            if reason is not None:
                self.summary.stopped_early = self.summary.stopped_early or reason

    def stopped_early(self, reason: str) -> None:
        """Why the run stopped taking tickets (the last word wins: it is the one that ended
        the loop)."""
        with self._lock:
            self.summary.stopped_early = reason

    def abandoned(self, count: int) -> None:
        """Analyses still running when a stop's grace ran out."""
        with self._lock:
            self.summary.abandoned = count

    def aborted(self, reason: str, exit_code: int = ExitCode.ABORTED) -> None:
        """The run cannot go on (``exit_code``: what the command exits with, 1 but for an
        error that has its own, a setting's 2)."""
        with self._lock:
            self.summary.status = "aborted"
            self.summary.exit_code = exit_code
            self.summary.reason = reason

    def reply(self, kind: str, *, noted: bool, sentiment_moved: bool, held: bool) -> None:
        """A customer's reply re-triaged: its kind, whether it got a note, whether the ticket's
        sentiment moved, whether its escalation was only suggested (``held``), as a ticket's."""
        with self._lock:
            s = self.summary
            s.replies += 1
            s.reply_kinds[kind] = s.reply_kinds.get(kind, 0) + 1
            s.reply_notes += noted
            s.sentiment_changes += sentiment_moved
            s.escalations_suggested += held

    def reply_failed(self) -> None:
        with self._lock:
            self.summary.reply_failed += 1

    # -- each ticket's end ---------------------------------------------------------------

    def decided(
        self,
        ticket: Ticket,
        triage: Triage,
        wb: WriteBack,
        steps: Mapping[str, Any] | None = None,
        prepared: PreparedTicket | None = None,
    ) -> None:
        """A change planned, before it is written: the audit store has it first, with the
        subject and the drafted answer (which the log leaves out): the one a step planned
        (``steps``: what the steps decided, ``TicketStep.audit_fields``), else the engine's
        reply draft. ``prepared``: the ticket as the engine got it."""
        fields = self._decision_fields(ticket, triage, wb)
        kept = {k: v for k, v in (steps or {}).items() if k not in UNLOGGED}
        if not (self.options.dry_run or self.options.shadow):
            # The event as ``triaged`` would log it, for the write journal (``take_planned``).
            _remember(self._awaiting, ticket.id, {**fields, **kept}, self._lock)
        raw = self.options.audit_raw_subjects
        fields["subject"] = (
            ticket.subject if raw else stored_subject(ticket.subject, ticket.people, prepared)
        )
        fields.update(steps or {})
        if kept:
            _remember(self._steps, ticket.id, kept, self._lock)
        if "answer" not in fields and triage.analysis.reply_draft:
            fields["answer"] = triage.analysis.reply_draft
            fields["answer_state"] = "note"
        self.ctx.audit.planned(fields)

    def take_planned(self, ticket_ids: Sequence[int]) -> dict[int, PlannedWrite]:
        """The decisions of these tickets, as their writes begin (``run.audit``): each
        handed over once."""
        with self._lock:
            found = {i: self._awaiting.pop(i) for i in ticket_ids if i in self._awaiting}
        return {i: PlannedWrite(self.ctx.run_id, fields) for i, fields in found.items()}

    def triaged(
        self,
        ticket: Ticket,
        seconds: float,
        triage: Triage,
        wb: WriteBack,
        note_id: str | None = None,
    ) -> None:
        analysis = triage.analysis
        usage = triage.usage
        with self._lock:
            s = self.summary
            s.triaged += 1
            s.fallback += triage.fallback
            if triage.fallback:
                taken = s.fallback_engines
                taken[triage.engine] = taken.get(triage.engine, 0) + 1
            if triage.fallback and triage.fallback_reason:
                key = _reason_kind(triage.fallback_reason)
                s.fallback_reasons[key] = s.fallback_reasons.get(key, 0) + 1
            if triage.fallback and s.fallback_cause is None:
                s.fallback_cause = triage.fallback_cause or triage.fallback_reason
            s.engines[triage.engine] = s.engines.get(triage.engine, 0) + 1
            s.cached += triage.cached
            s.cascaded += triage.cascaded
            s.low_confidence += self._low_confidence(wb)
            s.escalations_suggested += bool(getattr(wb, "escalation_held", None))
            s.prompt_tokens += usage.prompt_tokens
            s.completion_tokens += usage.completion_tokens
            share = BATCH_PRICE_SHARE if triage.billing == "batch" else 1.0
            s.cost_usd += (
                self.price(triage.model, usage.prompt_tokens, usage.completion_tokens) * share
            )
            s.categories[analysis.category] = s.categories.get(analysis.category, 0) + 1
            day = self.created.setdefault(day_of(ticket.created_at), {})
            day[analysis.category] = day.get(analysis.category, 0) + 1
            if analysis.subcategory:
                key = f"{analysis.category}/{analysis.subcategory}"
                s.subcategories[key] = s.subcategories.get(key, 0) + 1
                day[key] = day.get(key, 0) + 1
        with self._lock:
            steps = self._steps.pop(ticket.id, {})
        fields = {**self._decision_fields(ticket, triage, wb), **steps}
        fields["seconds"] = round(seconds, 4)
        if note_id is not None:
            fields["note_id"] = note_id  # where the helpdesk named the note it posted
        self.log.emit("ticket_triaged", **fields)

    def _low_confidence(self, wb: WriteBack) -> bool:
        """The change carries ``<prefix>low_confidence``: the analysis was held back."""
        return sanitise_tag(f"{self.options.prefix}low_confidence") in wb.additional_tags

    def _decision_fields(self, ticket: Ticket, triage: Triage, wb: WriteBack) -> dict[str, Any]:
        """The ``ticket_triaged`` event's fields (but ``seconds``): one decision."""
        analysis = triage.analysis
        usage = triage.usage
        self._analysed = True
        self._calibrated = self._calibrated or bool(triage.field_confidence)
        return dict(
            ticket_id=ticket.id,
            category=analysis.category,
            subcategory=analysis.subcategory,
            urgency=analysis.urgency.value,
            sentiment=analysis.sentiment.value,
            language=analysis.language,
            # The note's language (the agent's): with ``language``, report's language pairs.
            agent_language=self.ctx.planner.note_language(ticket.id),
            confidence=analysis.confidence,
            field_confidence=triage.field_confidence,
            decisions=field_decisions(
                triage.field_confidence,
                triage.apply_at,
                apply_at=self.options.apply_at,
                suggest_at=self.options.suggest_at,
            ),
            engine=triage.engine,
            model=triage.model,
            fallback=triage.fallback,
            fallback_reason=triage.fallback_reason,
            cached=triage.cached,
            cascaded=triage.cascaded,
            billing=triage.billing,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cached_tokens=usage.cached_tokens,
            llm_seconds=round(triage.llm_seconds, 4),
            priority=wb.priority.value if wb.priority else None,
            previous_priority=ticket.priority,
            tags_added=list(wb.additional_tags),
            # Below the confidence threshold: no priority, no route (the audit's "suggested").
            low_confidence=self._low_confidence(wb),
            group_id=wb.group_id,
            previous_group_id=ticket.group_id,
            fields_set=dict(wb.custom_fields),
            previous_fields={k: ticket.custom_fields.get(k) for k in wb.custom_fields},
            **routing_fields(wb),
            articles=[s.article_id for s in triage.suggestions if s.in_help_centre],
            **risk_fields(triage),
            note=wb.note is not None,
            ticket_url=self.ticket_url(ticket.id),
            # A shadow run's decisions are not writes: revert and alerts pass them by.
            dry_run=self.options.dry_run or self.options.shadow,
            shadow=self.options.shadow,
        )

    def failed(self, ticket_id: int | None, stage: str, error_type: str, error: str) -> None:
        with self._lock:
            self.summary.failed += 1
            if ticket_id is not None:
                self._steps.pop(ticket_id, None)
                self._awaiting.pop(ticket_id, None)
        self.log.emit(
            "ticket_failed",
            ticket_id=ticket_id,
            stage=stage,
            error_type=error_type,
            error=error,
            ticket_url=self.ticket_url(ticket_id) if ticket_id is not None else None,
            dry_run=self.options.dry_run,
        )

    # -- the run's end -----------------------------------------------------------------

    def conclude(self, seconds: float, stop_signal: str | None) -> None:
        """The run's status and exit code, once it has stopped taking and writing tickets."""
        with self._lock:
            s = self.summary
            s.seconds = round(seconds, 3)
            if s.status != "aborted" and stop_signal is not None:
                s.status = "stopped"
                s.exit_code = SIGNAL_EXIT.get(stop_signal, ExitCode.TERMINATED)
                s.reason = f"stopped by {stop_signal}; progress saved"
                s.stopped_early = stop_signal
            elif s.status != "aborted" and s.failed:
                s.status, s.exit_code = "partial", ExitCode.PARTIAL
            if self.options.apply_at and self._analysed and not self._calibrated:
                # Thresholds apply to calibrated confidences only: without a calibration the
                # setting does nothing, which a user who set it must hear.
                told = (
                    "TICKETBOT_APPLY_AT is set, but no analysis of this run had a calibrated "
                    "confidence to hold to it (no calibration for its engine: `ticketbot "
                    "calibrate FILE` fits the LLM's): it was not used"
                )
                s.warnings.append(told)
                self.log.emit("apply_at_unused", reason=told)

    def write_record(self) -> None:
        """The last word, once the state is saved: what limited the run, then the record."""
        with self._lock:
            _name_the_bound(self.summary, self.ctx)
            ctx = self.ctx
            record_run_end(self.summary, ctx.log, ctx.ledger, dry_run=ctx.options.dry_run)


def _remember(
    waiting: dict[int, dict[str, Any]], ticket_id: int, fields: dict[str, Any], lock: threading.Lock
) -> None:
    """Keep a ticket's fields until its write, the oldest let go past ``WAITING_STEPS``."""
    with lock:
        waiting[ticket_id] = fields
        if len(waiting) > WAITING_STEPS:
            del waiting[next(iter(waiting))]


def risk_fields(triage: Triage | None) -> dict[str, Any]:
    """The risk in a decision's event: its level and probability (None: not scored)."""
    risk = triage.risk if triage is not None else None
    return {
        "risk": risk.level if risk else None,
        "risk_probability": risk.probability if risk else None,
    }


def _reason_kind(reason: str) -> str:
    """``"llm: LLMConnectionError: refused"`` -> ``"LLMConnectionError"``; else the reason."""
    parts = [part.strip() for part in reason.split(":")]
    return parts[1] if len(parts) > 2 and parts[1] else reason[:60]


def run_started_fields(
    options: RunOptions, helpdesk: str, chain: Sequence[str] = ()
) -> dict[str, Any]:
    """What the ``run_started`` event says: the run's helpdesk, engine and options (``chain``:
    the engines it triages with, none when the run failed before they were built)."""
    return {
        "helpdesk": helpdesk,
        "engine": options.engine,
        "chain": list(chain),
        "dry_run": options.dry_run,
        "shadow": options.shadow,
        "workers": options.workers,
        "limit": options.limit,
        "since": options.since.isoformat() if options.since else None,
        "query": options.query,
    }


def record_run_end(
    summary: RunSummary, log: EventSink, ledger: RunLedger, *, dry_run: bool
) -> None:
    """Write the finished run's ``run_finished`` event and (not for a dry run) ``last_run.json``.
    It needs the log and ledger only: a run failing before its parts were built is recorded."""
    answered = summary.engines.get("llm", 0)
    if summary.cascaded and answered:
        summary.cascade_saved_usd = round(summary.cost_usd / answered * summary.cascaded, 6)
    fields = summary.as_event()
    log.emit("run_finished", **fields)
    if not dry_run:
        finished_at = datetime.now(UTC).isoformat()
        # Writes left unconfirmed by a run that finished, but for those a helpdesk job it
        # accepted holds (recovery asks the job): its bound or a signal cut them short, and the
        # helpdesk may still be answering them, so the next run lets them land first.
        queued = {i for ids in ledger.jobs().values() for i in ids}
        unsettled = len(ledger.inflight() - queued)
        ledger.save_last_run(
            {
                "run_id": summary.run_id,
                "finished_at": finished_at,
                **fields,
                "unsettled_writes": unsettled,
            }
        )


def _name_the_bound(summary: RunSummary, ctx: RunContext) -> None:
    """Say what limited the run (LLM latency or rate, helpdesk writes): only a limit it met; a
    run that wrote nothing (nothing new, dry, shadow) or made no LLM call waited on neither."""
    first = ctx.chain[0] if ctx.chain else None
    if not isinstance(first, LLMEngine):
        return
    stats = first.concurrency()
    summary.llm = stats | ctx.planner.translation_counts()
    latency = stats.get("llm_latency_s")  # None: no LLM call answered this run
    limit = stats.get("llm_limit_requests") if latency is not None else None
    workers = int(str(stats.get("llm_concurrency") or 1))
    settled = stats.get("llm_limit_now")
    if isinstance(settled, int):
        workers = min(workers, settled)  # where the adaptive limit (--workers auto) ended
    quiet = ctx.options.dry_run or ctx.options.shadow
    wrote = summary.triaged + summary.replies > 0 and not quiet  # tickets or customers' replies
    bound, _ = run_bound(
        workers=workers,
        latency_s=float(latency) if isinstance(latency, int | float) else None,
        llm_calls_per_minute=float(limit) if isinstance(limit, int | float) else None,
        helpdesk_writes_per_minute=ctx.helpdesk.limits.tickets_per_minute if wrote else None,
    )
    summary.bound = bound
    if bound is not None:
        ctx.log.emit("run_bound", bound=bound, **summary.llm)


def record_failure(
    error: Exception,
    *,
    run_id: str,
    helpdesk: str,
    options: RunOptions,
    log: EventLog,
    ledger: RunLedger,
    closing: Sequence[RunPass],
    recorded: RunSummary | None = None,
    backfill: bool = False,
) -> RunSummary | None:
    """Record a run that ``error`` ended where its pipeline could not record it, send what its
    end calls for (``closing``: the passes that need the settings alone, ``order.
    closing_passes``: its alerts and figures) and close the log.

    The pipeline opens a run's record once every part is built and writes it whatever happens
    to its tickets. A run can fail before that, while its parts are built (the routes' first
    request to the helpdesk meets refused credentials or a closed port, a state file cannot be
    used), or by an error that escapes the pipeline (``recorded``: the pipeline's summary, which
    it recorded aborted). Either gets the trace a run aborted in the pipeline leaves: the
    ``run_started`` and ``run_finished`` events (the audit store hears them through the log),
    ``last_run.json``, the "run aborted" alert and the run's figures; which parts were built
    changes nothing in it.

    Returns the run's summary when ``error`` aborts a run whose pipeline never ran
    (``abort_reason``), for the command to report as it reports an abort in the pipeline; None
    when the caller raises ``error`` again for the command to say as its own (a setting, a
    state file). Recording is best effort: a failure to record is logged, and ``error`` is
    still the one reported."""
    summary = recorded
    if summary is None:
        summary = RunSummary(
            run_id=run_id,
            status="aborted",
            exit_code=error.exit_code if isinstance(error, TicketBotError) else ExitCode.ABORTED,
            helpdesk=helpdesk,
            engine=options.engine,
            reason=failure_reason(error, query=options.query),
            backfill=backfill,
        )
    try:
        if recorded is None:
            log.emit("run_started", **run_started_fields(options, helpdesk))
            record_run_end(summary, log, ledger, dry_run=options.dry_run)
        end = RunEnd(
            run_id, summary, log, dry_run=options.dry_run, shadow=options.shadow, backfill=backfill
        )
        after_writes(closing, end)
    except Exception as failed:  # noqa: BLE001 - the run's own error is the one to report
        log.emit("run_record_failed", level="error", error=f"{type(failed).__name__}: {failed}")
    log.close()
    aborts = recorded is None and abort_reason(error, query=options.query) is not None
    return summary if aborts else None
