"""Builds the parts of one run from the settings and runs the pipeline.

Shared by ``ticketbot run`` and ``ticketbot demo``: the run lock, the state directory, the
event log (with retention), one circuit breaker and retry layer per dependency, the Zendesk
client, the rules and, when configured, the LLM analyser; the price table for the run's cost;
the alerts (a breaker opening, an aborted run, a low success rate over the recent runs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .alerts import Alerter, AlertOutcome
from .errors import ConfigError
from .logs import EventLog, new_run_id, prune_logs, read_events
from .pipeline import Pipeline, RunOptions, RunSummary
from .report import DEFAULT_PRICES, parse_prices, pricer, summarise_runs
from .resilience import (
    AdaptiveLimit,
    CircuitBreaker,
    RateLimitThrottle,
    Retrier,
    RetryPolicy,
)
from .rules import RulesEngine
from .settings import Settings
from .state import AnalysisCache, RunLock, StateStore
from .taxonomy import load_taxonomy
from .zendesk import ZendeskClient

# A 429 gets more tries and waits out a whole rate-limit minute: the endpoint is up, and the
# adaptive limit is meanwhile bringing the run down to its rate.
LLM_RETRY = RetryPolicy(
    attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=60.0, throttled_attempts=6
)
ZENDESK_RETRY = RetryPolicy(attempts=5, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)
# How far back the success-rate alert looks: the recent runs, about two hours at the cron pace.
ALERT_WINDOW = timedelta(hours=3)


def run_options(settings: Settings, **flags: Any) -> RunOptions:
    """RunOptions from the settings plus the command's flags."""
    return RunOptions(
        workers=settings.workers,
        prefix=settings.tag_prefix,
        confidence_threshold=settings.confidence_threshold,
        max_input_tokens=settings.max_input_tokens,
        **flags,
    )


def execute_run(
    settings: Settings,
    options: RunOptions,
    *,
    on_progress: Callable[[str], None] = lambda event: None,
    price: Callable[[str | None, int, int], float] | None = None,
    writer_flush_after: float = 1.0,
) -> tuple[RunSummary, EventLog]:
    """Take the lock (not for a dry run), build the parts, run one batch."""
    settings.require_zendesk()
    if options.engine == "llm" and not settings.llm_configured:
        raise ConfigError(
            "OPENAI_API_KEY is not set (nor OPENAI_BASE_URL): put it in .env or the "
            "environment, or run with --engine rules"
        )
    state = StateStore(settings.state_dir)
    if options.dry_run:
        return _run(settings, options, state, on_progress, price, writer_flush_after)
    with RunLock(settings.state_dir):
        return _run(settings, options, state, on_progress, price, writer_flush_after)


def _run(
    settings: Settings,
    options: RunOptions,
    state: StateStore,
    on_progress: Callable[[str], None],
    price: Callable[[str | None, int, int], float] | None,
    writer_flush_after: float,
) -> tuple[RunSummary, EventLog]:
    run_id = new_run_id()
    log = EventLog(settings.log_dir, run_id=run_id, secrets=settings.secrets)
    if not options.dry_run:
        for path in prune_logs(
            settings.log_dir, keep_days=settings.keep_days, today=datetime.now(UTC).date()
        ):
            log.emit("log_pruned", file=path.name)

    alerter = Alerter(
        settings.alert_webhook.get_secret_value() if settings.alert_webhook else None,
        state=state,
        secrets=settings.secrets,
    )
    if price is None:
        price = pricer({**DEFAULT_PRICES, **parse_prices(settings.prices or "")})

    def opened(name: str) -> None:
        log.emit("breaker_opened", dependency=name)
        if not options.dry_run:
            _log_alert(log, alerter.breaker_opened(name))

    storage = state.breaker_storage()
    zendesk_breaker = CircuitBreaker("zendesk", storage=storage, on_open=opened)
    llm_breaker = CircuitBreaker("llm", storage=storage, on_open=opened)
    taxonomy = load_taxonomy(settings.taxonomy_file)
    analyser = None
    if options.engine == "llm":
        # Imported here: openai costs most of a second of start-up, which --engine rules skips.
        from .llm import LLMAnalyser

        analyser = LLMAnalyser(
            models=settings.models,
            taxonomy=taxonomy,
            api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            retrier=Retrier(LLM_RETRY, breaker=llm_breaker),
            limit=AdaptiveLimit(options.workers),
            reply_draft=settings.reply_draft,
        )
    cache_tag = ",".join(settings.models) + "|" + ",".join(taxonomy.names)
    options = _with(options, cache_tag=cache_tag)
    with ZendeskClient.from_settings(
        settings,
        retrier=Retrier(ZENDESK_RETRY, breaker=zendesk_breaker),
        throttle=RateLimitThrottle(),
        pool_size=max(16, options.workers // 4),
    ) as client:
        pipeline = Pipeline(
            client=client,
            rules=RulesEngine(taxonomy),
            analyser=analyser,
            state=state,
            cache=AnalysisCache(state.directory / "cache.json"),
            log=log,
            options=options,
            run_id=run_id,
            on_progress=on_progress,
            writer_flush_after=writer_flush_after,
            price=price,
        )
        summary = pipeline.run()
    if not options.dry_run:
        state.save_last_run(
            {"run_id": run_id, "finished_at": datetime.now(UTC).isoformat(), **summary.as_event()}
        )
        recent = summarise_runs(
            read_events(settings.log_dir, since=datetime.now(UTC) - ALERT_WINDOW)
        )
        for outcome in alerter.after_run(
            status=summary.status,
            reason=summary.reason,
            recent=recent,
            objective=settings.success_objective,
        ):
            _log_alert(log, outcome)
    log.close()
    return summary, log


def _log_alert(log: EventLog, outcome: AlertOutcome) -> None:
    if outcome.outcome in ("sent", "failed"):
        log.emit(
            "alert", condition=outcome.condition, outcome=outcome.outcome, detail=outcome.detail
        )


def _with(options: RunOptions, **changes: Any) -> RunOptions:
    from dataclasses import replace

    return replace(options, **changes)
