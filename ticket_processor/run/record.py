"""How a closed ticket is recorded: the ``RunSummary``'s counters and the JSON-lines event.

``TicketRecorder`` is ``flow.TicketFlow``'s account book: ``triaged`` counts a written ticket
(engine, fallback and its reason, cache, tokens, cost, category) and logs ``ticket_triaged``
with what was written; ``failed`` counts and logs ``ticket_failed``. The summary is shared with
the flow, so both count under the flow's lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..models import BATCH_PRICE_SHARE, Ticket, Triage, WriteBack
from ..ops.logs import EventSink
from .planner import routing_fields
from .types import RunOptions, RunSummary


class TicketRecorder:
    """Counts and logs each ticket's end; thread-safe under the given lock."""

    def __init__(
        self,
        *,
        options: RunOptions,
        log: EventSink,
        summary: RunSummary,
        lock: threading.Lock,
        price: Callable[[str | None, int, int], float],
        ticket_url: Callable[[int], str],
    ) -> None:
        self.options = options
        self.log = log
        self.summary = summary
        self._lock = lock
        self.price = price
        self.ticket_url = ticket_url

    def triaged(self, ticket: Ticket, seconds: float, triage: Triage, wb: WriteBack) -> None:
        analysis = triage.analysis
        usage = triage.usage
        with self._lock:
            s = self.summary
            s.triaged += 1
            s.fallback += triage.fallback
            if triage.fallback and triage.fallback_reason:
                key = _reason_kind(triage.fallback_reason)
                s.fallback_reasons[key] = s.fallback_reasons.get(key, 0) + 1
            s.engines[triage.engine] = s.engines.get(triage.engine, 0) + 1
            s.cached += triage.cached
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
            engine=triage.engine,
            model=triage.model,
            fallback=triage.fallback,
            fallback_reason=triage.fallback_reason,
            cached=triage.cached,
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
            **routing_fields(wb),
            ticket_url=self.ticket_url(ticket.id),
            dry_run=self.options.dry_run,
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
