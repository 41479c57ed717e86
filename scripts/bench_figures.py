"""The benchmark's figures: settings, the child's measurements, and the JSON ``bench.py`` prints.

Pure: reads the run's JSON-lines events and the servers' counters, computes the bound (the
tightest of the LLM's concurrency, its RPM limit and the helpdesk's capacity: Zendesk's update
jobs, or Freshdesk's requests a minute / 3) and the ratios. Helpdesk figures are
``helpdesk_*``; a Zendesk run also has them as ``zendesk_*``, their names before Freshdesk.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from ticket_processor.helpdesks.freshdesk.sandbox.config import PLAN_LIMITS
from ticket_processor.helpdesks.zendesk.client import BATCH_LIMIT

FRESHDESK_REQUESTS_PER_TICKET = 3


@dataclass(frozen=True)
class BenchSettings:
    """One benchmark's knobs (the flags of ``bench.py``)."""

    tickets: int = 2000
    workers: int = 64
    engine: str = "llm"
    llm_latency: float = 1.0
    llm_jitter: float = 0.2
    llm_rpm: int | None = 5000
    llm_429_rate: float = 0.0  # share of LLM calls the stand-in answers 429 (Retry-After 1 s)
    llm_tpm: int | None = None  # stand-in tokens a minute (prompt + max_tokens per call)
    llm_announce: bool = False  # the stand-in sends x-ratelimit-* headers, as OpenAI does
    zendesk_latency_ms: tuple[float, float] = (80.0, 150.0)
    plan: str = "enterprise"
    update_limit_per_min: int = 100
    duplicates: float = 0.0
    seed: int = 7
    timeout: float = 1800.0
    workdir: Path | None = None  # keep state, logs and the child's output here
    # The LLM fully down: "refused" (nothing listens), "error" (500 to every call,
    # after the usual latency) or "hang" (no answer within the client's timeout). None: it works.
    llm_down: str | None = None
    profile: Path | None = None  # run the child under ``py-spy record -o PROFILE``
    helpdesk: str = "zendesk"  # or "freshdesk" (bench_freshdesk.py)
    # Help-centre suggestions a ticket gets (TICKETBOT_KB_SUGGESTIONS; 0: off). The sandbox is
    # given the sample help centre either way, so on and off differ only in the lookups.
    kb_suggestions: int = 3
    # Runs until the backlog is done, as cron would start them (Zendesk: 10 export pages a run).
    max_runs: int = 50
    # Tickets from a labelled JSONL file instead of the shipped samples (their texts, cycled).
    labelled: Path | None = None
    # TICKETBOT_CASCADE with this learned model file (and these fields); None: no cascade.
    cascade_model: Path | None = None
    cascade_fields: str = "category,urgency,sentiment"
    retriage: bool = True  # re-triage on customers' replies (TICKETBOT_RETRIAGE)
    spam_gate: bool = True  # judge each new ticket's sender (TICKETBOT_SPAM_GATE)


@dataclass(frozen=True)
class ChildRun:
    """How the ``ticketbot run`` child went."""

    exit_code: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    started_at: float  # epoch seconds, to place the log's run_started / run_finished
    ended_at: float
    stdout: str
    stderr: str


def read_events(log_dir: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for path in sorted(log_dir.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                events.append(orjson.loads(line))
    return events


def _epoch(ts: Any) -> float:
    return datetime.fromisoformat(str(ts)).timestamp()


def percentile(values: list[float], pct: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def bound_terms(settings: BenchSettings) -> dict[str, float]:
    """Tickets a minute each limit allows; the bound is the smallest."""
    if settings.helpdesk == "freshdesk":
        # A fresh read, a note and an update: at least three requests a ticket.
        total = PLAN_LIMITS.get(settings.plan, PLAN_LIMITS["enterprise"]).total
        terms = {"freshdesk_requests": total / FRESHDESK_REQUESTS_PER_TICKET}
    else:
        terms = {"zendesk_writes": float(settings.update_limit_per_min * BATCH_LIMIT)}
    if settings.engine == "llm" and settings.llm_down is None:
        if settings.llm_latency > 0:
            terms["llm_concurrency"] = settings.workers * 60.0 / settings.llm_latency
        if settings.llm_rpm:
            terms["llm_rpm"] = float(settings.llm_rpm)
    return terms


def figures(
    settings: BenchSettings,
    created: int,
    child: ChildRun,
    zendesk: dict[str, Any],
    llm: dict[str, int],
    events: list[dict[str, Any]],
) -> dict[str, Any]:
    triaged = [e for e in events if e.get("event") == "ticket_triaged"]
    finished: dict[str, Any] = next(
        (e for e in reversed(events) if e.get("event") == "run_finished"), {}
    )
    per_ticket = [float(e["seconds"]) for e in triaged if "seconds" in e]
    llm_seconds = [
        float(e["llm_seconds"])
        for e in triaged
        if e.get("engine") == "llm" and not e.get("cached") and e.get("llm_seconds")
    ]
    terms = bound_terms(settings)
    bound = min(terms.values())
    tokens = {
        kind: round(sum(int(e.get(f"{kind}_tokens") or 0) for e in triaged) / len(triaged), 1)
        if triaged
        else 0.0
        for kind in ("prompt", "completion", "cached")
    }
    began = next((e for e in events if e.get("event") == "run_started"), {})
    startup = _epoch(began.get("ts")) - child.started_at if began else None
    shutdown = child.ended_at - _epoch(finished.get("ts")) if finished else None
    per_min = len(triaged) * 60.0 / child.seconds if child.seconds > 0 else 0.0
    n = max(created, 1)
    helpdesk_figures = {
        "helpdesk_requests": int(zendesk.get("requests_total", 0)),
        "helpdesk_requests_per_ticket": round(zendesk.get("requests_total", 0) / n, 4),
        "helpdesk_429": int(zendesk.get("rate_limited", 0)),
        "helpdesk_requests_by_endpoint": zendesk.get("requests", {}),
    }

    def rounded(value: float | None, digits: int = 3) -> float | None:
        return None if value is None or math.isnan(value) else round(value, digits)

    return {
        "tickets": created,
        "triaged": len(triaged),
        "failed": sum(int(e.get("failed", 0)) for e in events if e.get("event") == "run_finished"),
        "fallback": int(finished.get("fallback", 0)),
        "cached": int(finished.get("cached", 0)),
        "exit_code": child.exit_code,
        "seconds": rounded(child.seconds, 2),
        "run_seconds": finished.get("seconds"),
        "tickets_per_min": rounded(per_min, 1),
        "bound_tickets_per_min": rounded(bound, 1),
        "bound_by": min(terms, key=lambda k: terms[k]),
        "ratio_to_bound": rounded(per_min / bound if bound else None),
        "helpdesk": settings.helpdesk,
        **helpdesk_figures,
        # The names before Freshdesk came, kept for scripts that read them.
        **(
            {f"zendesk_{k.removeprefix('helpdesk_')}": v for k, v in helpdesk_figures.items()}
            if settings.helpdesk == "zendesk"
            else {}
        ),
        "llm_calls": int(llm.get("requests", 0)),
        "llm_calls_per_ticket": rounded(llm.get("requests", 0) / n, 4),
        "llm_429": int(llm.get("rate_limited", 0)),
        "llm_max_inflight": int(llm.get("max_inflight", 0)),
        # Per triaged ticket, as the run logged them (cached: of the prompt, the provider's
        # prompt cache served; cache hits of our own analysis cache count 0 tokens).
        "tokens_per_ticket": tokens,
        "mean_llm_seconds": rounded(statistics.fmean(llm_seconds) if llm_seconds else None),
        "p50_ticket_seconds": rounded(percentile(per_ticket, 50)),
        "p95_ticket_seconds": rounded(percentile(per_ticket, 95)),
        "startup_seconds": rounded(startup, 2),
        "shutdown_seconds": rounded(shutdown, 2),
        "peak_rss_mb": rounded(child.peak_rss_mb, 1),
        "child_cpu_seconds": rounded(child.cpu_seconds, 2),
        # The run's CPU (user + system, every run of the backlog) per 1,000 triaged tickets.
        "cpu_seconds_per_1000": rounded(child.cpu_seconds * 1000.0 / len(triaged), 3)
        if triaged
        else None,
        **spam_head_figures(events, len(triaged)),
        "child_stderr_tail": child.stderr[-2000:],
        "settings": {
            **asdict(settings),
            "zendesk_latency_ms": list(settings.zendesk_latency_ms),
            "workdir": str(settings.workdir) if settings.workdir else None,
            "profile": str(settings.profile) if settings.profile else None,
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
    }


def spam_head_figures(events: list[dict[str, Any]], triaged: int) -> dict[str, Any]:
    """How many tickets the spam gate's head read (an encoder pass each) and their share of the
    triaged, from the runs' ``spam_judged`` events; None where no run says (an LLM run, whose
    LLM answers first, or the gate off)."""
    judged = [e for e in events if e.get("event") == "spam_judged" and "head_read" in e]
    if not judged:
        return {"spam_head_read": None, "spam_head_share": None}
    read = sum(int(e["head_read"]) for e in judged)
    return {
        "spam_head_read": read,
        "spam_head_share": round(read / triaged, 4) if triaged else None,
    }


def combined(runs: list[ChildRun]) -> ChildRun:
    """The runs as one: their seconds and CPU added up, the largest RSS."""
    return ChildRun(
        exit_code=next((r.exit_code for r in runs if r.exit_code != 0), 0),
        seconds=sum(r.seconds for r in runs),
        peak_rss_mb=max(r.peak_rss_mb for r in runs),
        cpu_seconds=sum(r.cpu_seconds for r in runs),
        started_at=runs[0].started_at,
        ended_at=runs[-1].ended_at,
        stdout=runs[-1].stdout,
        stderr="".join(r.stderr for r in runs),
    )


def runs_figures(runs: list[ChildRun], events: list[dict[str, Any]]) -> dict[str, Any]:
    """How the runs of one benchmark went, one by one (a backlog may take several)."""
    started = [e.get("run_id") for e in events if e.get("event") == "run_started"]
    return {
        "runs": len(runs),
        "triaged_per_run": [
            sum(1 for e in events if e.get("event") == "ticket_triaged" and e.get("run_id") == run)
            for run in dict.fromkeys(started)
        ],
        "peak_rss_mb_per_run": [round(r.peak_rss_mb, 1) for r in runs],
        "minutes": round(sum(r.seconds for r in runs) / 60.0, 2),
    }
