"""The one builder of a run's parts: what the cron run, ``backfill``, ``serve`` and ``demo``
triage with, and what the dashboard's review writers write with.

``build`` makes, from the settings, once: the alerter, the price table, a circuit breaker per
dependency (its opening logged as ``breaker_opened`` and alerted, under ``serve`` as in a run),
the engine chain, the analysis cache, the helpdesk, the help-centre index, the routes (a route
whose group is gone said and alerted once), the fields (an entry the helpdesk no longer matches
said and alerted once) and the write-back planner. What the per-ticket steps work with is made
from those parts by each feature (``features.registry``) when ``order.ticket_steps`` lists the
steps. ``open_feed`` is the audit
store's feed on a run's event log, with the run's mode (``normal``, ``dry-run``, ``shadow``,
``serve``). ``review_writers`` is the dashboard's pair of writers, connected through the same
``connect``.

The run (``runner``) and the server (``served``) differ only in what they hand it: the server
reads the help-centre index without refreshing it, reads a burst of new tickets in one
request, and keeps its breakers and cache in its own state directory.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ..alerts.alerter import Alerter, log_alert
from ..alerts.channels import Channels
from ..alerts.escalation import EscalationWatch
from ..alerts.escalations import ServedEscalations
from ..alerts.setup import ChannelConfig, channels_for
from ..audit.feed import AuditFeed
from ..common.eventlog import EventLog, EventSink
from ..incidents.policy import IncidentPolicy
from ..kb.refresh import RunIndex, index_path, open_for_run
from ..learned.encoder_table import keep_table_in
from ..models import Helpdesk
from ..passes.planner import ChangePlanner
from ..passes.types import RunOptions
from ..report.prices import DEFAULT_PRICES, parse_prices, pricer
from ..resilience.breaker import CircuitBreaker
from ..resilience.deadline import RunDeadline
from ..resilience.stopping import StopFlag
from ..settings import Settings
from ..state.cache import AnalysisCache
from ..state.ledger import RunLedger
from ..triage.chain import LLMEngine, TriageEngine
from ..triage.fieldbook import ResolvedFields, load_field_book
from ..triage.routebook import load_router
from ..triage.routing import Router
from ..triage.taxonomy import Taxonomy, load_taxonomy
from ..writeback.translation import Translator
from .audit import open_audit
from .connect import breaker_name, connect
from .engines import ChainChoice, llm_breaker_name, run_chain

if TYPE_CHECKING:
    from ..writeback.label_review import ReviewWriter


Price = Callable[[str | None, int, int], float]


@dataclass(frozen=True)
class Harness:
    """How the caller runs: its clock, sleep, stop and bound, and what differs for ``serve``."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random | None = None
    stop: StopFlag | None = None
    deadline: RunDeadline | None = None
    price: Price | None = None
    burst_reads: bool = False  # serve: a burst of new tickets is read in one request
    kb_read_only: bool = False  # serve: the cron run keeps the help-centre index fresh
    # serve: answers the tickets its deliveries name as they come (the same answers part: the
    # agents read again as they age, each write batch's replies sent after it)
    answers_served: bool = False
    # serve: the steps on files a sync rewrites (a book of ready-made replies, the solved
    # tickets) reopen them when they change, and never sync them (a cron run or a sync does)
    reopens: bool = False


@dataclass
class Parts:
    """A run's parts, built once; ``close`` the index and the helpdesk after."""

    options: RunOptions  # with the engine the chain prefers and the analysis cache's tag
    alerter: Alerter
    price: Price
    taxonomy: Taxonomy
    choice: ChainChoice
    cache: AnalysisCache
    helpdesk: Helpdesk
    kb: RunIndex
    router: Router | None
    book: ResolvedFields
    planner: ChangePlanner
    log: EventSink  # where the parts' events go (the run's log, or serve's)
    harness: Harness  # how the caller runs (its clock, stop, bound; what serve leaves out)
    warnings: list[str]  # missing groups, stale fields, the steps' notes: the recorder warns
    opened_now: list[str] = field(default_factory=list)  # dependencies whose breaker opened

    def close(self) -> None:
        try:
            self.kb.close()
        finally:
            self.helpdesk.close()


def analysis_cache_tag(settings: Settings, taxonomy: Taxonomy) -> str:
    """What an analysis depends on besides the ticket's text: the models and the taxonomy."""
    return ",".join(settings.models) + "|" + ",".join(taxonomy.names)


def alerter_for(settings: Settings, ledger: RunLedger) -> Alerter:
    """The alerter whose memory (``alerts.json``) is ``ledger``'s."""
    return Alerter(
        settings.alert_webhook.get_secret_value() if settings.alert_webhook else None,
        state=ledger,
        timeout=settings.webhook_timeout,
        max_bytes=settings.webhook_max_bytes,
        secrets=settings.secrets,
    )


def channel_config(settings: Settings) -> ChannelConfig:
    """The escalation channels' settings as values (``alerts.setup``)."""

    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    return ChannelConfig(
        state_dir=settings.state_dir,
        pagerduty_url=settings.pagerduty_url,
        pagerduty_routing_key=secret(settings.pagerduty_routing_key),
        smtp_url=secret(settings.smtp_url),
        alert_email=settings.alert_email,
        alert_email_from=settings.alert_email_from,
        teams_webhook=secret(settings.teams_webhook),
        alert_json_url=secret(settings.alert_json_url),
        alert_json_secret=secret(settings.alert_json_secret),
        timeout=settings.webhook_timeout,
        max_bytes=settings.webhook_max_bytes,
    )


def escalation_channels(
    settings: Settings,
    built: Parts,
    *,
    deadline: RunDeadline | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], str | None] = lambda: None,
) -> Channels:
    """The escalation channels of a run (its pass) or of ``serve`` (its delivery thread)."""
    return channels_for(
        channel_config(settings),
        helpdesk_url=built.helpdesk.base_url,
        routes=built.router.defined if built.router is not None else (),
        deadline=deadline,
        sleep=sleep,
        stop=stop,
    )


def served_escalations(
    settings: Settings, built: Parts, watch: EscalationWatch, run_id: str
) -> ServedEscalations:
    """``serve``'s delivery of its escalations, through the run's channels on a thread of
    their own (no deadline: a server has none; each exchange's own bound and the channels'
    back-off bound it; its stop ends their waits)."""
    flag = StopFlag()
    channels = escalation_channels(settings, built, sleep=flag.sleep, stop=flag)
    return ServedEscalations(
        channels, watch, built.planner, built.helpdesk, run_id=run_id, flag=flag
    )


def open_feed(
    settings: Settings, log: EventLog, *, run_id: str, mode: str, audit_dir: Path | None = None
) -> AuditFeed | None:
    """The audit store's feed on ``log`` (``run.audit``); ``audit_dir``: where the embedded
    store is when it is not the settings' state directory (a shadow run's own state)."""
    where = settings if audit_dir is None else settings.model_copy(update={"state_dir": audit_dir})
    return open_audit(where, log, run_id=run_id, mode=mode)


def build(
    settings: Settings,
    options: RunOptions,
    *,
    run_id: str,
    log: EventSink,
    ledger: RunLedger,
    alert_ledger: RunLedger | None = None,
    harness: Harness | None = None,
) -> Parts:
    """The parts of one run (or of ``serve``'s life) from the settings.

    ``ledger``: where the breakers and the analysis cache keep their state; ``alert_ledger``:
    the alerts' memory (default ``ledger``). A dry run alerts nothing."""
    # One function: the parts in the order each needs the one before (the breakers before the
    # chain and the helpdesk, the helpdesk before the index, routes and fields), with the index
    # and the helpdesk closed again when a later part cannot be built.
    harness = harness or Harness()
    dry_run = options.dry_run
    alerter = alerter_for(settings, alert_ledger or ledger)
    price = harness.price or pricer({**DEFAULT_PRICES, **parse_prices(settings.prices or "")})
    opened_now: list[str] = []
    chain_names: list[str] = []  # the engines' order, once the chain is chosen

    def opened(name: str) -> None:
        dependency, _, endpoint = name.partition("@")
        opened_now.append(dependency)
        log.emit("breaker_opened", dependency=dependency, endpoint=endpoint)
        if not dry_run:
            # The engine after the LLM in the chain takes its tickets: the alert names it.
            after = chain_names[chain_names.index("llm") + 1 :] if "llm" in chain_names else []
            taken = next(iter(after), None)
            log_alert(log, alerter.breaker_opened(dependency, taken_over_by=taken))

    storage = ledger.breaker_storage()
    helpdesk_breaker = CircuitBreaker(breaker_name(settings), storage=storage, on_open=opened)
    llm_breaker = CircuitBreaker(llm_breaker_name(settings), storage=storage, on_open=opened)
    taxonomy = load_taxonomy(settings.taxonomy_file)
    choice = run_chain(
        settings,
        taxonomy,
        options,
        llm_breaker=llm_breaker,
        on_event=log.emit,
        deadline=harness.deadline,
        stop=harness.stop,
    )
    chain_names.extend(choice.names)
    cache_tag = analysis_cache_tag(settings, taxonomy)
    options = replace(options, engine=choice.preferred, cache_tag=cache_tag)
    cache = AnalysisCache(ledger, max_entries=settings.cache_entries)
    helpdesk = connect(
        settings,
        breaker=helpdesk_breaker,
        pool_size=max(16, options.workers // 4),
        sleep=harness.sleep,
        clock=harness.clock,
        rng=harness.rng,
        deadline=harness.deadline,
        burst_reads=harness.burst_reads,
    )
    # The encoder's token table: a file one cache directory can share between installations.
    keep_table_in(settings.cache_dir or settings.state_dir, write=not dry_run)
    index = index_path(settings.state_dir)
    try:
        kb = open_for_run(
            index,
            helpdesk,
            suggestions=settings.kb_suggestions
            if not harness.kb_read_only or index.is_file()
            else 0,
            max_age=settings.kb_max_age,
            dry_run=dry_run or harness.kb_read_only,
            emit=log.emit,
            documents=settings.knowledge_dir,
            # The folder is read inside the run's budget: a slow or huge one stops there.
            out_of_time=harness.deadline.spent if harness.deadline else lambda: False,
        )
    except BaseException:
        helpdesk.close()
        raise
    try:
        # Routes are resolved once, before any ticket: a bad file changes nothing.
        router = load_router(
            settings.routes_file,
            helpdesk,
            prefix=options.prefix,
            categories=taxonomy.names,
            subcategories=taxonomy.subcategory_names,
        )
        warnings = missing_groups(log, alerter, router, dry_run=dry_run)
        # Fields are resolved once too: an entry the helpdesk no longer matches is left alone
        # (said, alerted once), the other fields still apply.
        book = load_field_book(settings.fields_file, helpdesk)
        warnings += stale_fields(log, alerter, book, settings.fields_file, dry_run=dry_run)
        planner = ChangePlanner(
            options,
            run_id=run_id,
            router=router,
            kb_suggestions=settings.kb_suggestions,
            fields=book.fields,
            translator=translator_of(choice.chain) if choice.preferred == "llm" else None,
            taxonomy=taxonomy,
        )
    except BaseException:
        kb.close()
        helpdesk.close()
        raise
    return Parts(
        options=options,
        alerter=alerter,
        price=price,
        taxonomy=taxonomy,
        choice=choice,
        cache=cache,
        helpdesk=helpdesk,
        kb=kb,
        router=router,
        book=book,
        planner=planner,
        log=log,
        harness=harness,
        warnings=warnings,
        opened_now=opened_now,
    )


def review_writers(settings: Settings) -> tuple[ReviewWriter, Any]:
    """The dashboard's writers of reviewed labels and reviewed answers (the feature's that
    drafts them, ``Feature.reviewer``): each review connects to the helpdesk through the run's
    own ``connect`` (no connection is held between them)."""
    from ..features.registry import reviewer
    from ..writeback.label_review import ReviewWriter

    common: dict[str, Any] = {
        "state_dir": settings.state_dir,
        "log_dir": settings.log_dir,
        "prefix": settings.tag_prefix,
        "secrets": settings.scrubber(),
    }
    return (
        ReviewWriter(lambda: connect(settings), **common),
        reviewer(lambda: connect(settings), common),
    )


def missing_groups(
    log: EventSink, alerter: Alerter, router: Router | None, *, dry_run: bool
) -> list[str]:
    """Warn about each route whose group is gone from the helpdesk (every run: it is in the
    log and on stderr), alert once per route and group, and forget the groups that are back.
    The run goes on: the rest of each route, and every other route, still applies."""
    gone = router.missing if router is not None else ()
    messages = []
    for route in gone:
        messages.append(route.missing_message)
        log.emit(
            "route_group_missing",
            level="warning",
            route=route.route.title,
            group=route.missing_group,
            detail=route.missing_message,
        )
        if not dry_run:
            log_alert(
                log,
                alerter.group_missing(
                    route.route.title, str(route.missing_group), route.missing_message
                ),
            )
    if not dry_run:
        alerter.groups_missing_now((r.route.title, str(r.missing_group)) for r in gone)
    return messages


def stale_fields(
    log: EventSink, alerter: Alerter, book: ResolvedFields, path: Path | None, *, dry_run: bool
) -> list[str]:
    """Warn about each fields-file entry the helpdesk no longer matches (every run, and each
    ``serve`` start), alert once per entry until it resolves again; the other fields are
    still filled."""
    messages = book.messages(f"TICKETBOT_FIELDS ({path})")
    for stale, message in zip(book.stale, messages, strict=True):
        log.emit("field_stale", level="warning", field=stale.name, detail=message)
        if not dry_run:
            log_alert(log, alerter.field_stale(stale.name, message))
    if not dry_run:
        alerter.fields_stale_now(stale.name for stale in book.stale)
    return messages


def translator_of(chain: Sequence[TriageEngine]) -> Translator | None:
    """The LLM's translator, when the chain has the LLM."""
    for engine in chain:
        if isinstance(engine, LLMEngine):
            return engine.translator()
    return None


def incident_policy(settings: Settings) -> IncidentPolicy:
    """The grouping's values from the settings."""
    return IncidentPolicy(
        prefix=settings.tag_prefix,
        window_seconds=int(settings.incident_window),
        auto_merge=settings.auto_merge,
        follow=tuple(f.strip() for f in settings.incident_follow.split(",") if f != "none"),
    )
