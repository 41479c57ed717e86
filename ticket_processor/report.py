"""What the runs did: pure aggregation of JSON-lines events into a ``Report``.

No I/O here: ``cli.py`` reads the events (``logs.read_events``) and hands them in, the
renderers (rich table in ``cli.py``, ``report_html.py``) only format what ``build_report``
computed, and ``health.py`` reuses ``summarise_runs`` for its last-run checks. Costs are
estimates from per-model prices per million tokens; unknown and local models cost 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import ConfigError

# USD per million (input, output) tokens, from the providers' public price lists. A model
# name matches its longest listed prefix, so dated snapshots ("gpt-4o-mini-2024-07-18")
# price like their family; anything else (llama3.1 on Ollama, vLLM) is free to us.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
}

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_SPAN_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
TOP_FAILURES = 5
MAX_BUCKETS = 100


def parse_since(text: str, *, now: datetime) -> datetime:
    """A span back from ``now`` (``30m``, ``24h``, ``7d``) or a date or ISO datetime (UTC)."""
    match = _SPAN.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now - timedelta(**{_SPAN_UNITS[unit]: amount})
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since: {text!r} is neither a span like 24h, 7d, 30m nor a date like 2026-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_prices(text: str) -> dict[str, tuple[float, float]]:
    """Parse ``"gpt-4o-mini=0.15/0.60,llama3.1=0/0"`` (USD per million input/output tokens)."""
    prices: dict[str, tuple[float, float]] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, pair = item.partition("=")
        inp, _, out = pair.partition("/")
        try:
            price = (float(inp), float(out))
        except ValueError:
            raise ConfigError(
                f"TICKETBOT_PRICES: {item!r} is not model=INPUT/OUTPUT "
                "(USD per million tokens, e.g. gpt-4o-mini=0.15/0.60)"
            ) from None
        if not name.strip() or min(price) < 0 or not all(map(math.isfinite, price)):
            raise ConfigError(f"TICKETBOT_PRICES: {item!r} needs a model name and prices >= 0")
        prices[name.strip()] = price
    return prices


def price_for(model: str, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """The price of ``model``: exact name, else its longest listed prefix, else free."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name)]
    return prices[max(matches, key=len)] if matches else (0.0, 0.0)


def pricer(
    prices: Mapping[str, tuple[float, float]] = DEFAULT_PRICES,
) -> Callable[[str | None, int, int], float]:
    """``price(model, prompt_tokens, completion_tokens) -> USD`` for the pipeline's cost figure."""

    def price(model: str | None, prompt_tokens: int, completion_tokens: int) -> float:
        if not model:
            return 0.0
        price_in, price_out = price_for(model, prices)
        return (prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000

    return price


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class RunSummary:
    """One run as its ``run_finished`` event tells it (``status`` None if it never finished)."""

    run_id: str
    started: datetime | None
    finished: datetime | None
    status: str | None
    triaged: int = 0
    failed: int = 0
    fallback: int = 0
    reason: str | None = None
    dry_run: bool = False


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
    """Everything ``ticketbot report`` shows; ``to_dict`` is the ``--json`` form."""

    since: datetime | None
    until: datetime | None
    first_event: datetime | None
    last_event: datetime | None
    runs: int
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
    timeline: list[tuple[str, int, int, int]] = field(default_factory=list)
    """Per hour or day, oldest first: (label, by the LLM, by the keyword rules, failed)."""

    @property
    def empty(self) -> bool:
        return self.runs == 0 and self.tickets_triaged == 0 and self.tickets_failed == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("since", "until", "first_event", "last_event"):
            value = getattr(self, key)
            data[key] = value.isoformat() if value else None
        data["timeline"] = [
            {"bucket": b, "llm": llm, "rules": fb, "failed": f} for b, llm, fb, f in self.timeline
        ]
        return data


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """The event's ``ts`` as an aware datetime, or None if missing or unreadable."""
    raw = event.get("ts")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _label(value: object) -> str:
    return str(value) if value not in (None, "") else "unknown"


def summarise_runs(events: Iterable[Mapping[str, Any]]) -> list[RunSummary]:
    """One ``RunSummary`` per run id, in order of start (runs still going have no status)."""
    started: dict[str, datetime | None] = {}
    finished: dict[str, Mapping[str, Any]] = {}
    dry: dict[str, bool] = {}
    for event in events:
        run_id = event.get("run_id")
        if not isinstance(run_id, str):
            continue
        if event.get("event") == "run_started":
            started.setdefault(run_id, event_time(event))
            dry[run_id] = bool(event.get("dry_run"))
        elif event.get("event") == "run_finished":
            finished[run_id] = event
            started.setdefault(run_id, None)
    runs = []
    for run_id, start in started.items():
        end = finished.get(run_id, {})
        runs.append(
            RunSummary(
                run_id=run_id,
                started=start,
                finished=event_time(end) if end else None,
                status=str(end["status"]) if end.get("status") else None,
                triaged=_int(end.get("triaged")),
                failed=_int(end.get("failed")),
                fallback=_int(end.get("fallback")),
                reason=str(end["reason"]) if end.get("reason") else None,
                dry_run=dry.get(run_id, False),
            )
        )
    epoch = datetime.min.replace(tzinfo=UTC)
    runs.sort(key=lambda run: run.started or run.finished or epoch)
    return runs


def recent_success_rate(runs: Iterable[RunSummary], *, last: int = 12) -> tuple[float | None, int]:
    """Triaged / (triaged + failed) over the ``last`` finished, non-dry runs, and the attempts.

    Per run the figure is noisy (one failure in three tickets is 67%); over a dozen runs, two
    hours at the cron pace, it says whether the job is doing its work.
    """
    recent = [r for r in runs if r.status is not None and not r.dry_run][-last:]
    triaged = sum(r.triaged for r in recent)
    attempts = triaged + sum(r.failed for r in recent)
    return (triaged / attempts if attempts else None), attempts


def _bucket(moment: datetime, hourly: bool) -> str:
    return moment.strftime("%Y-%m-%d %H:00" if hourly else "%Y-%m-%d")


def build_report(
    events: Iterable[Mapping[str, Any]],
    *,
    prices: Mapping[str, tuple[float, float]] = DEFAULT_PRICES,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Report:
    """Aggregate the events (already filtered to the window) into a ``Report``."""
    events = [e for e in events if isinstance(e, Mapping)]
    times = [t for t in map(event_time, events) if t is not None]
    first, last = (min(times), max(times)) if times else (None, None)
    span_start = since or first
    hourly = bool(span_start and last and last - span_start <= timedelta(hours=48))

    runs = summarise_runs(events)
    status = Counter(run.status or "unfinished" for run in runs)
    aborts = Counter(run.reason or "no reason given" for run in runs if run.status == "aborted")

    triaged = [e for e in events if e.get("event") == "ticket_triaged"]
    failed = [e for e in events if e.get("event") == "ticket_failed"]
    attempts = len(triaged) + len(failed)
    seconds = [s for s in (_float(e.get("seconds")) for e in triaged) if s is not None]
    # Cached answers cost no LLM time; counting their zeros would flatter the endpoint.
    llm_rows = [e for e in triaged if e.get("engine") == "llm" and not e.get("cached")]
    llm_seconds = [s for s in (_float(e.get("llm_seconds")) for e in llm_rows) if s is not None]
    fallbacks = sum(1 for e in triaged if e.get("fallback"))

    usage: dict[str, list[int]] = {}
    for e in triaged:
        model = e.get("model")
        if not model:
            continue
        row = usage.setdefault(str(model), [0, 0, 0])
        row[0] += 1
        row[1] += _int(e.get("prompt_tokens"))
        row[2] += _int(e.get("completion_tokens"))
    models = []
    for name, (count, inp, out) in sorted(usage.items(), key=lambda kv: -kv[1][0]):
        price_in, price_out = price_for(name, prices)
        cost = (inp * price_in + out * price_out) / 1_000_000
        models.append(ModelUsage(name, count, inp, out, round(cost, 6)))

    kinds: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], str] = {}
    for e in failed:
        key = (_label(e.get("stage")), _label(e.get("error_type")))
        kinds[key] += 1
        examples[key] = str(e.get("error") or "")[:300]
    failures = [
        Failure(stage, kind, count, examples[(stage, kind)])
        for (stage, kind), count in kinds.most_common(TOP_FAILURES)
    ]

    timeline: dict[str, list[int]] = {}
    for e in (*triaged, *failed):
        moment = event_time(e)
        if moment is None:
            continue
        row = timeline.setdefault(_bucket(moment, hourly), [0, 0, 0])
        if e.get("event") == "ticket_failed":
            row[2] += 1
        elif e.get("fallback") or e.get("engine") == "rules":
            row[1] += 1
        else:
            row[0] += 1

    # Empty hours (days) are drawn too, so a gap in the chart is a gap in the runs.
    span_end = until or last
    if span_start and span_end:
        step = timedelta(hours=1) if hourly else timedelta(days=1)
        moment = span_start.replace(minute=0, second=0, microsecond=0)
        if not hourly:
            moment = moment.replace(hour=0)
        if (span_end - moment) / step <= MAX_BUCKETS:
            while moment <= span_end:
                timeline.setdefault(_bucket(moment, hourly), [0, 0, 0])
                moment += step

    def dist(key: str, rows: list[Mapping[str, Any]] = triaged) -> dict[str, int]:
        return dict(Counter(_label(e.get(key)) for e in rows).most_common())

    ticket_ids = {e.get("ticket_id") for e in (*triaged, *failed) if e.get("ticket_id") is not None}
    return Report(
        since=since,
        until=until,
        first_event=first,
        last_event=last,
        runs=len(runs),
        run_status=dict(status.most_common()),
        tickets_triaged=len(triaged),
        tickets_failed=len(failed),
        distinct_tickets=len(ticket_ids),
        success_rate=len(triaged) / attempts if attempts else None,
        fallback_rate=fallbacks / len(triaged) if triaged else None,
        cached_rate=sum(1 for e in triaged if e.get("cached")) / len(triaged) if triaged else None,
        dry_run_tickets=sum(1 for e in triaged if e.get("dry_run")),
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
        failures=failures,
        aborts=dict(aborts.most_common()),
        timeline=[(label, c[0], c[1], c[2]) for label, c in sorted(timeline.items())],
    )


# -- formatting shared by the terminal table and the HTML page ------------------------


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def fmt_seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def fmt_usd(value: float) -> str:
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def fmt_count(value: int) -> str:
    return f"{value:,}"
