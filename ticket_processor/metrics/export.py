"""A run's figures for Prometheus, the batch-job way: pushed to a Pushgateway, written for
node_exporter's textfile collector, or both (``TICKETBOT_METRICS_PUSHGATEWAY``,
``TICKETBOT_METRICS_TEXTFILE``). ``prometheus-client`` is imported only when one of them is set:
a run without metrics does not carry its ~12 MB (``tests/run/test_run_imports.py``).

Every series is named ``ticketbot_…`` and describes the run that just finished (a scheduled job
has no process for Prometheus to scrape): tickets by engine and outcome, fallbacks by reason,
LLM calls and 429s, tokens, cost, duration, status and exit code, and the time of the run and
of the last successful one. The Pushgateway groups them by ``job="ticketbot"`` and ``account``
(the helpdesk's host, one per account), and each push replaces the previous run's series of the
same names, so the last success's timestamp stays when a later run fails. The exposition is
``prometheus-client``'s. The textfile is written atomically (a temporary file, then a rename).

Neither ever fails the run: a Pushgateway that is down, slow or refuses is one warning in the
run's log and summary, and the next run pushes again.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.eventlog import EventSink
from ..passes.protocol import Pass, RunEnd
from ..passes.types import RunSummary

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

JOB = "ticketbot"
PUSH_TIMEOUT = 5.0


def run_registry(summary: RunSummary, *, now: float | None = None) -> CollectorRegistry:
    """The run's figures in a registry of their own (nothing of the process's leaks in)."""
    from prometheus_client import CollectorRegistry, Counter, Gauge

    registry = CollectorRegistry()
    now = time.time() if now is None else now
    tickets = Counter(
        "ticketbot_tickets",
        "Tickets the run handled, by engine and outcome.",
        ["engine", "outcome"],
        registry=registry,
    )
    for engine, n in summary.engines.items():
        tickets.labels(engine, "triaged").inc(n)
    for outcome in ("failed", "skipped", "out_of_scope", "deferred", "second_writer"):
        n = int(getattr(summary, outcome))
        if n:
            tickets.labels("", outcome).inc(n)
    fallbacks = Counter(
        "ticketbot_fallbacks",
        "Tickets a local engine took over from a failing one, by reason.",
        ["reason"],
        registry=registry,
    )
    for reason, n in summary.fallback_reasons.items():
        fallbacks.labels(reason).inc(n)
    llm = summary.llm
    Counter("ticketbot_llm_calls", "LLM calls made.", registry=registry).inc(
        _count(llm.get("llm_calls"))
    )
    Counter("ticketbot_llm_throttled", "LLM calls answered 429.", registry=registry).inc(
        _count(llm.get("llm_throttled"))
    )
    tokens = Counter("ticketbot_llm_tokens", "LLM tokens, by kind.", ["kind"], registry=registry)
    tokens.labels("prompt").inc(summary.prompt_tokens)
    tokens.labels("completion").inc(summary.completion_tokens)
    Counter("ticketbot_cost_usd", "Estimated LLM cost in US dollars.", registry=registry).inc(
        summary.cost_usd
    )
    Counter("ticketbot_replies", "Customers' replies re-triaged.", registry=registry).inc(
        summary.replies
    )
    at_risk = Gauge(
        "ticketbot_sla_at_risk",
        "Service-level targets at risk now (the SLA pass), by the group's id.",
        ["group"],
        registry=registry,
    )
    for group, n in summary.sla_at_risk.items():
        at_risk.labels(group).set(n)
    Gauge("ticketbot_run_duration_seconds", "How long the run took.", registry=registry).set(
        summary.seconds
    )
    status = Gauge("ticketbot_run_status", "1 for the run's status.", ["status"], registry=registry)
    status.labels(summary.status).set(1)
    Gauge("ticketbot_run_exit_code", "The run's exit code.", registry=registry).set(
        int(summary.exit_code)
    )
    Gauge("ticketbot_last_run_timestamp_seconds", "When the run finished.", registry=registry).set(
        now
    )
    if summary.exit_code == 0:
        Gauge(
            "ticketbot_last_success_timestamp_seconds",
            "When a run last finished successfully.",
            registry=registry,
        ).set(now)
    return registry


def export_run(
    summary: RunSummary,
    log: EventSink,
    *,
    pushgateway: str | None,
    textfile: Path | None,
    account: str,
    shard: tuple[int, int] | None = None,
) -> list[str]:
    """Push and/or write the run's figures; the warnings to tell (none when all went well).

    A sharded backfill's pods push at the same time: each shard is its own group
    (``shard="i/n"`` beside ``account``), or each push would replace the others' figures."""
    if not pushgateway and textfile is None:
        return []
    from prometheus_client import pushadd_to_gateway
    from prometheus_client.exposition import write_to_textfile

    registry = run_registry(summary)
    problems = []
    if pushgateway:
        try:
            pushadd_to_gateway(
                pushgateway,
                job=JOB,
                grouping_key=grouping_key(account, shard),
                registry=registry,
                timeout=PUSH_TIMEOUT,
            )
        except Exception as exc:  # noqa: BLE001 - any failure of the push is only a warning
            problems.append(f"metrics not pushed to the Pushgateway: {_push_failure(exc)}")
    if textfile is not None:
        try:
            write_to_textfile(str(textfile), registry)
        except OSError as exc:
            problems.append(f"metrics textfile not written: {exc.strerror or exc}")
    for problem in problems:
        log.emit("metrics_not_exported", level="warning", detail=problem)
    return problems


def grouping_key(account: str, shard: tuple[int, int] | None) -> dict[str, str]:
    """The Pushgateway group of a run: its account, and a backfill shard's ``i/n``."""
    key = {"account": account}
    if shard is not None:
        key["shard"] = f"{shard[0]}/{shard[1]}"
    return key


def _push_failure(exc: Exception) -> str:
    """Why a push failed, with the fix; never the URL (it may carry credentials)."""
    reason = getattr(exc, "reason", None)  # urllib's URLError: name resolution, refused, ...
    why = f"{type(exc).__name__} ({reason})" if reason is not None else type(exc).__name__
    if isinstance(exc, ValueError) or reason is not None:
        return (
            f"{why}; TICKETBOT_METRICS_PUSHGATEWAY must be the gateway's address with its "
            "scheme, e.g. http://pushgateway:9091, and reachable from here"
        )
    return why


def _count(value: object) -> float:
    return float(value) if isinstance(value, int | float) and value >= 0 else 0.0


class MetricsPass(Pass):
    """The run's figures, pushed and/or written once the run is over (not for a dry run); a
    Pushgateway out of reach is a warning of the run."""

    name = "metrics"

    def __init__(
        self,
        *,
        pushgateway: str | None,
        textfile: Path | None,
        account: str,
        shard: tuple[int, int] | None = None,
    ) -> None:
        self.pushgateway, self.textfile = pushgateway, textfile
        self.account, self.shard = account, shard

    def after(self, end: RunEnd) -> None:
        if end.dry_run:
            return
        end.summary.warnings.extend(
            export_run(
                end.summary,
                end.log,
                pushgateway=self.pushgateway,
                textfile=self.textfile,
                account=self.account,
                shard=self.shard,
            )
        )
