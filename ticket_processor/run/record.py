"""How a run is recorded: each closed ticket, and the run's summary at its end.

``TicketRecorder`` is ``flow.TicketFlow``'s account book: ``triaged`` counts a written ticket
(engine, fallback and its reason, cache, tokens, cost, category) and logs ``ticket_triaged``
with what was written; ``failed`` counts and logs ``ticket_failed``. The summary is shared with
the flow, so both count under the flow's lock.

``record_run_end`` is the one writer of a finished run's summary: the ``run_finished`` event
and ``last_run.json`` (which ``health`` reads) say the same thing, written at the same moment.
``name_the_bound`` puts in it what limited the run first.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from ..llm_client.pacer import run_bound
from ..models import BATCH_PRICE_SHARE, Ticket, Triage, WriteBack
from ..triage.chain import LLMEngine
from ..triage.confidence import field_decisions
from .context import RunContext
from .planner import routing_fields
from .types import RunSummary


class TicketRecorder:
    """Counts and logs each ticket's end; thread-safe under the given lock."""

    def __init__(self, ctx: RunContext, summary: RunSummary, lock: threading.Lock) -> None:
        self.options = ctx.options
        self.log = ctx.log
        self.summary = summary
        self._lock = lock
        self.price = ctx.price
        self.ticket_url = ctx.helpdesk.ticket_url

    def triaged(self, ticket: Ticket, seconds: float, triage: Triage, wb: WriteBack) -> None:
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
            s.prompt_tokens += usage.prompt_tokens
            s.completion_tokens += usage.completion_tokens
            share = BATCH_PRICE_SHARE if triage.billing == "batch" else 1.0
            s.cost_usd += (
                self.price(triage.model, usage.prompt_tokens, usage.completion_tokens) * share
            )
            s.categories[analysis.category] = s.categories.get(analysis.category, 0) + 1
        self.log.emit(
            "ticket_triaged",
            ticket_id=ticket.id,
            category=analysis.category,
            urgency=analysis.urgency.value,
            sentiment=analysis.sentiment.value,
            language=analysis.language,
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
            seconds=round(seconds, 4),
            priority=wb.priority.value if wb.priority else None,
            previous_priority=ticket.priority,
            tags_added=list(wb.additional_tags),
            group_id=wb.group_id,
            previous_group_id=ticket.group_id,
            fields_set=dict(wb.custom_fields),
            previous_fields={k: ticket.custom_fields.get(k) for k in wb.custom_fields},
            **routing_fields(wb),
            ticket_url=self.ticket_url(ticket.id),
            # A shadow run's decisions are not writes: revert and alerts pass them by.
            dry_run=self.options.dry_run or self.options.shadow,
            shadow=self.options.shadow,
        )

    def failed(self, ticket_id: int | None, stage: str, error_type: str, error: str) -> None:
        with self._lock:
            self.summary.failed += 1
        self.log.emit(
            "ticket_failed",
            ticket_id=ticket_id,
            stage=stage,
            error_type=error_type,
            error=error,
            ticket_url=self.ticket_url(ticket_id) if ticket_id is not None else None,
            dry_run=self.options.dry_run,
        )


def _reason_kind(reason: str) -> str:
    """``"llm: LLMConnectionError: refused"`` -> ``"LLMConnectionError"``; else the reason."""
    parts = [part.strip() for part in reason.split(":")]
    return parts[1] if len(parts) > 2 and parts[1] else reason[:60]


def record_run_end(summary: RunSummary, ctx: RunContext) -> None:
    """Write the finished run's summary: the ``run_finished`` event, and ``last_run.json`` but
    for a dry run (which writes no state)."""
    answered = summary.engines.get("llm", 0)
    if summary.cascaded and answered:
        summary.cascade_saved_usd = round(summary.cost_usd / answered * summary.cascaded, 6)
    fields = summary.as_event()
    ctx.log.emit("run_finished", **fields)
    if not ctx.options.dry_run:
        finished_at = datetime.now(UTC).isoformat()
        ctx.ledger.save_last_run({"run_id": summary.run_id, "finished_at": finished_at, **fields})


def name_the_bound(summary: RunSummary, ctx: RunContext) -> None:
    """Say what limited the run: the LLM's latency or rate, or the helpdesk's writes."""
    first = ctx.chain[0] if ctx.chain else None
    if not isinstance(first, LLMEngine):
        return
    stats = first.concurrency()
    summary.llm = stats
    latency = stats.get("llm_latency_s")
    limit = stats.get("llm_limit_requests")
    workers = int(str(stats.get("llm_concurrency") or 1))
    settled = stats.get("llm_limit_now")
    if isinstance(settled, int):
        workers = min(workers, settled)  # where the adaptive limit (--workers auto) ended
    limits = ctx.helpdesk.limits
    bound, _ = run_bound(
        workers=workers,
        latency_s=float(latency) if isinstance(latency, int | float) else None,
        llm_calls_per_minute=float(limit) if isinstance(limit, int | float) else None,
        helpdesk_writes_per_minute=(
            float(limits.updates_per_minute * limits.batch_size)
            if limits.updates_per_minute
            else None
        ),
    )
    summary.bound = bound
    if bound is not None:
        ctx.log.emit("run_bound", bound=bound, **summary.llm)
