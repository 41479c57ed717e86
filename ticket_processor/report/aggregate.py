"""What the runs did: pure aggregation of JSON-lines events into a ``Report``.

No I/O here: ``commands/ops.py`` reads the events (``common.eventlog.read_events``) and hands
them in, the renderers (rich table in ``table.py``, ``html.py``) only format what ``build_report``
computed, and ``ops/health.py`` reuses ``runs.summarise_runs`` for its last-run checks. Costs are
estimates from per-model prices per million tokens; unknown and local models cost 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from ..common.timespec import parse_moment
from .actions import action_counts
from .agreement import (
    agreement_events,
    corrections,
    outcome_pairs,
    shadow_agreement_events,
)
from .answers import AnswerCategory, answer_categories
from .detail import Agreement, FailedTicket, Routing, agreement, failed_tickets, priorities, routing
from .prices import DEFAULT_PRICES, billed_share, pricer
from .replies import ReplyDay, reply_days
from .runs import LoggedRun, as_float, as_int, event_time, summarise_runs
from .series import Bucket, choose_step, series
from .time_saved import TimeSaved
from .to_write import ArticleToWrite
from .trends import Trend

__all__ = ["Report", "build_report", "parse_since"]

TOP_FAILURES = 5


def parse_since(text: str, *, now: datetime) -> datetime:
    """``report --since``: a span back from ``now`` or an ISO date or date-time
    (``common.timespec``)."""
    return parse_moment(text, now=now, flag="--since")


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Failure:
    """A kind of failure and how often it happened, with the latest message as an example."""

    stage: str
    error_type: str
    count: int
    example: str


@dataclass(frozen=True)
class ModelUsage:
    model: str
    tickets: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class Report:
    """Everything ``ticketbot report`` shows; ``to_dict`` is the ``--json`` form.

    Ticket figures count real runs only: a dry run's tickets are in ``dry_run_tickets`` and
    nowhere else, since nothing was written for them.
    """

    since: datetime | None
    until: datetime | None
    first_event: datetime | None
    last_event: datetime | None
    runs: int  # real runs only; dry runs are counted in ``dry_runs``
    run_status: dict[str, int]
    tickets_triaged: int
    tickets_failed: int
    distinct_tickets: int
    success_rate: float | None
    fallback_rate: float | None
    cached_rate: float | None
    dry_run_tickets: int
    latency_p50: float | None
    latency_p95: float | None
    latency_max: float | None
    llm_latency_p50: float | None
    llm_latency_p95: float | None
    engines: dict[str, int]
    categories: dict[str, int]
    urgencies: dict[str, int]
    sentiments: dict[str, int]
    languages: dict[str, int]
    fallback_reasons: dict[str, int]
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    models: list[ModelUsage]
    failures: list[Failure]
    aborts: dict[str, int]
    dry_runs: int = 0
    # TICKETBOT_CASCADE: tickets the learned model decided without an LLM call, LLM calls per
    # triaged ticket, and the estimated cost those calls would have had.
    cascaded: int = 0
    llm_calls_per_ticket: float | None = None
    cascade_saved_usd: float = 0.0
    # What runs held back and left to agents: tickets below the confidence threshold (no
    # priority, no route) and escalations only suggested (no page: an unsure engine).
    low_confidence: int = 0
    escalations_suggested: int = 0
    backfilled: int = 0  # tickets triaged by ``ticketbot backfill`` (in ``tickets_triaged`` too)
    # Shadow runs (in ``runs`` and ``run_status`` too): they wrote nothing to the helpdesk, and
    # their tickets and fallbacks are in the figures above as any run's.
    shadow_runs: int = 0
    shadow_tickets: int = 0
    shadow_fallbacks: int = 0
    served: int = 0  # tickets triaged by ``ticketbot serve`` (in ``tickets_triaged`` too)
    timeline_step: str = "10min"
    timeline: list[Bucket] = field(default_factory=list)
    """Per bucket of ``timeline_step``, oldest first: tickets by engine, failed, tokens, cost."""
    run_list: list[LoggedRun] = field(default_factory=list)
    failed_tickets: list[FailedTicket] = field(default_factory=list)
    priorities: dict[str, int] = field(default_factory=dict)
    routing: Routing = field(default_factory=lambda: Routing({}, {}, 0))
    agreement: list[Agreement] = field(default_factory=list)
    # Shadow runs: per field, how often the decision matched what agents set on solved tickets.
    shadow_agreement: list[Agreement] = field(default_factory=list)
    corrections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Re-triage on customers' replies, per day (``report.replies``).
    replies: list[ReplyDay] = field(default_factory=list)
    # Category volume per day with today's change (the runs' daily counts; see report/trends).
    trends: list[Trend] = field(default_factory=list)
    # Answers to customers, per category (``report.answers``).
    answers: list[AnswerCategory] = field(default_factory=list)
    # The customer's language -> the note's (the agent's), "fr -> de": tickets.
    language_pairs: dict[str, int] = field(default_factory=dict)
    # The kinds of tickets nothing answered (``report.to_write``): the command reads the store.
    to_write: list[ArticleToWrite] = field(default_factory=list)
    # Agents' time saved at the assumed seconds (``with_time_saved``); None: not asked for.
    time_saved: TimeSaved | None = None
    # The team's actions: lookups by outcome, changes proposed, refused, done (``report.actions``).
    actions: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        counted = (self.runs, self.dry_runs, self.tickets_triaged, self.tickets_failed)
        return not any(counted)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("since", "until", "first_event", "last_event"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        data["timeline"] = [
            {
                "bucket": b.label,
                "llm": b.llm,
                "learned": b.learned,
                "rules": b.rules,
                "failed": b.failed,
                "prompt_tokens": b.prompt_tokens,
                "completion_tokens": b.completion_tokens,
                "cost_usd": b.cost_usd,
            }
            for b in self.timeline
        ]
        data["run_list"] = [
            {
                "run_id": r.run_id,
                "started": r.started.isoformat() if r.started else None,
                "seconds": r.seconds,
                "outcome": r.outcome,
                "triaged": r.triaged,
                "failed": r.failed,
                "engines": r.engines,
                "dry_run": r.dry_run,
                "shadow": r.shadow,
                "serve": r.served,
                "fallback": r.fallback,
                "reason": r.reason,
            }
            for r in self.run_list
        ]
        data["routing"]["escalated"] = self.routing.escalated
        data["agreement"] = [{**asdict(a), "rate": a.rate} for a in self.agreement]
        data["shadow_agreement"] = [{**asdict(a), "rate": a.rate} for a in self.shadow_agreement]
        data["replies"] = [{**asdict(d), "retriaged": d.retriaged} for d in self.replies]
        data["answers"] = [
            {**asdict(a), "resolution_rate": a.resolution_rate, "acceptance": a.acceptance}
            for a in self.answers
        ]
        data["time_saved"] = self.time_saved.to_dict() if self.time_saved else None
        return data


def _label(value: object) -> str:
    return str(value) if value not in (None, "") else "unknown"


def _is_dry(event: Mapping[str, Any], dry_runs: set[str]) -> bool:
    return bool(event.get("dry_run")) or event.get("run_id") in dry_runs


def _model_usage(
    triaged: list[Mapping[str, Any]], prices: Mapping[str, tuple[float, float]]
) -> list[ModelUsage]:
    usage: dict[str, list[float]] = {}
    price = pricer(prices)
    for e in triaged:
        model = e.get("model")
        if not model:
            continue
        row = usage.setdefault(str(model), [0, 0, 0, 0.0])
        tokens_in, tokens_out = as_int(e.get("prompt_tokens")), as_int(e.get("completion_tokens"))
        row[0] += 1
        row[1] += tokens_in
        row[2] += tokens_out
        row[3] += price(str(model), tokens_in, tokens_out) * billed_share(e)
    return [
        ModelUsage(name, int(count), int(inp), int(out), round(cost, 6))
        for name, (count, inp, out, cost) in sorted(usage.items(), key=lambda kv: -kv[1][0])
    ]


def _failure_kinds(failed: list[Mapping[str, Any]]) -> list[Failure]:
    kinds: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    for e in failed:
        key = (_label(e.get("stage")), _label(e.get("error_type")))
        kinds[key] += 1
        examples[key] = str(e.get("error") or "")[:300]
    return [
        Failure(stage, kind, count, examples[(stage, kind)])
        for (stage, kind), count in kinds.most_common(TOP_FAILURES)
    ]


def _share(
    rows: list[Mapping[str, Any]], test: Callable[[Mapping[str, Any]], bool]
) -> float | None:
    """The share of ``rows`` that pass ``test`` (None: no rows)."""
    return sum(1 for e in rows if test(e)) / len(rows) if rows else None


def _cascade_saved(events: list[Mapping[str, Any]], dry_runs: set[str]) -> float:
    """What the cascade saved, in USD, over the real runs that finished."""
    return round(
        sum(
            as_float(e.get("cascade_saved_usd")) or 0.0
            for e in events
            if e.get("event") == "run_finished" and not _is_dry(e, dry_runs)
        ),
        6,
    )


def _coster(prices: Mapping[str, tuple[float, float]]) -> Callable[[Mapping[str, Any]], float]:
    """One triaged event's LLM cost in USD, at ``prices`` (a batch's at its share)."""
    price = pricer(prices)

    def cost(e: Mapping[str, Any]) -> float:
        model = e.get("model")
        return price(
            str(model) if model else None,
            as_int(e.get("prompt_tokens")),
            as_int(e.get("completion_tokens")),
        ) * billed_share(e)

    return cost


def _escalations_suggested(
    triaged: list[Mapping[str, Any]], events: list[Mapping[str, Any]], dry_runs: set[str]
) -> int:
    """Escalations only suggested (an unsure engine's): on new tickets and on customers'
    replies re-triaged, as each run's line counts them."""
    replied = [e for e in events if e.get("event") == "reply_triaged" and not _is_dry(e, dry_runs)]
    return sum(1 for e in (*triaged, *replied) if e.get("escalation_held"))


def build_report(
    events: Iterable[Mapping[str, Any]],
    *,
    prices: Mapping[str, tuple[float, float]] = DEFAULT_PRICES,
    since: datetime | None = None,
    until: datetime | None = None,
    history: Iterable[Mapping[str, Any]] = (),
) -> Report:
    """Aggregate the events (already filtered to the window) into a ``Report``; ``history``
    (older events) only supplies what ticketbot wrote on tickets solved in the window."""
    events = [e for e in events if isinstance(e, Mapping)]
    times = [t for t in map(event_time, events) if t is not None]
    first, last = (min(times), max(times)) if times else (None, None)
    span_start, span_end = since or first, until or last
    step_name, step = choose_step(span_start, span_end)

    listed = summarise_runs(events, served=True)  # the ids to revert, serve's sessions too
    runs = [run for run in listed if not run.served]
    dry_runs = {r.run_id for r in runs if r.dry_run}
    # A dry run wrote nothing: it has its own line and is not one of the runs counted here.
    real_runs = [run for run in runs if not run.dry_run]
    status = Counter(run.outcome for run in real_runs)
    aborts = Counter(r.reason or "no reason given" for r in real_runs if r.status == "aborted")

    all_triaged = [e for e in events if e.get("event") == "ticket_triaged"]
    triaged = [e for e in all_triaged if not _is_dry(e, dry_runs)]
    failed = [e for e in events if e.get("event") == "ticket_failed" and not _is_dry(e, dry_runs)]
    attempts = len(triaged) + len(failed)
    seconds = [s for s in (as_float(e.get("seconds")) for e in triaged) if s is not None]
    # Cached answers cost no LLM time; counting their zeros would flatter the endpoint.
    llm_rows = [e for e in triaged if e.get("engine") == "llm" and not e.get("cached")]
    llm_seconds = [s for s in (as_float(e.get("llm_seconds")) for e in llm_rows) if s is not None]
    fallbacks = sum(1 for e in triaged if e.get("fallback"))
    models = _model_usage(triaged, prices)

    def dist(key: str, rows: list[Mapping[str, Any]] = triaged) -> dict[str, int]:
        return dict(Counter(_label(e.get(key)) for e in rows).most_common())

    ticket_ids = {e.get("ticket_id") for e in (*triaged, *failed) if e.get("ticket_id") is not None}
    outcomes = outcome_pairs(events, history, frozenset(dry_runs))
    return Report(
        since=since,
        until=until,
        first_event=first,
        last_event=last,
        runs=len(real_runs),
        run_status=dict(status.most_common()),
        tickets_triaged=len(triaged),
        tickets_failed=len(failed),
        distinct_tickets=len(ticket_ids),
        success_rate=len(triaged) / attempts if attempts else None,
        fallback_rate=fallbacks / len(triaged) if triaged else None,
        cached_rate=_share(triaged, lambda e: bool(e.get("cached"))),
        dry_run_tickets=len(all_triaged) - len(triaged),
        latency_p50=percentile(seconds, 50),
        latency_p95=percentile(seconds, 95),
        latency_max=max(seconds) if seconds else None,
        llm_latency_p50=percentile(llm_seconds, 50),
        llm_latency_p95=percentile(llm_seconds, 95),
        engines=dist("engine"),
        categories=dist("category"),
        urgencies=dist("urgency"),
        sentiments=dist("sentiment"),
        languages=dist("language"),
        fallback_reasons=dist("fallback_reason", [e for e in triaged if e.get("fallback")]),
        prompt_tokens=sum(m.prompt_tokens for m in models),
        completion_tokens=sum(m.completion_tokens for m in models),
        cost_usd=round(sum(m.cost_usd for m in models), 6),
        models=models,
        failures=_failure_kinds(failed),
        aborts=dict(aborts.most_common()),
        dry_runs=len(dry_runs),
        cascaded=sum(1 for e in triaged if e.get("cascaded")),
        llm_calls_per_ticket=_share(
            triaged, lambda e: e.get("engine") == "llm" and not e.get("cached")
        ),
        cascade_saved_usd=_cascade_saved(events, dry_runs),
        backfilled=sum(r.triaged for r in runs if r.backfill and not r.dry_run),
        shadow_runs=sum(1 for r in real_runs if r.shadow),
        shadow_tickets=sum(r.triaged for r in real_runs if r.shadow),
        shadow_fallbacks=sum(r.fallback for r in real_runs if r.shadow),
        served=sum(1 for e in triaged if e.get("source") == "serve"),
        timeline_step=step_name,
        timeline=series(
            triaged, failed, start=span_start, end=span_end, step=step, cost=_coster(prices)
        ),
        run_list=listed,
        failed_tickets=failed_tickets(failed),
        priorities=priorities(triaged),
        routing=routing(triaged),
        low_confidence=sum(1 for e in triaged if e.get("low_confidence") is True),
        escalations_suggested=_escalations_suggested(triaged, events, dry_runs),
        agreement=agreement([*events, *agreement_events(outcomes)]),
        shadow_agreement=agreement(shadow_agreement_events(events, history)),
        corrections=corrections(outcomes),
        replies=reply_days(events, dry_runs),
        answers=answer_categories(events, dry_runs),
        language_pairs=language_pairs(triaged),
        actions=action_counts(events, dry_runs),
    )


def with_time_saved(
    report: Report, *, per_triage: float, per_suggestion: float, per_answer: float
) -> Report:
    """The report with agents' time saved at these seconds each (``report.time_saved``): real
    runs' triaged tickets (a shadow run wrote nothing), the fields agents kept and the drafts
    they used, and the answers sent."""
    saved = TimeSaved(
        triaged=max(0, report.tickets_triaged - report.shadow_tickets),
        suggestions_kept=sum(a.agreed for a in report.agreement)
        + sum(c.accepted for c in report.answers),
        answers_sent=sum(c.sent for c in report.answers),
        per_triage=per_triage,
        per_suggestion=per_suggestion,
        per_answer=per_answer,
    )
    return replace(report, time_saved=saved)


def language_pairs(triaged: list[Mapping[str, Any]]) -> dict[str, int]:
    """Tickets per customer's language -> the language of their note (the agent's); events
    from before notes had a language were written in English."""
    pairs = Counter(
        f"{_label(e.get('language'))} -> {_label(e.get('agent_language') or 'en')}" for e in triaged
    )
    return dict(pairs.most_common())


# -- formatting shared by the terminal table and the HTML page ------------------------


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def fmt_seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def fmt_usd(value: float) -> str:
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def fmt_count(value: int) -> str:
    return f"{value:,}"
