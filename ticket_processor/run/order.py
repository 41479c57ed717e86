"""The order of the run's work, in one place: the per-ticket steps (``ticket_steps``,
``steps.protocol``: each ticket's and each reply's work after its triage, step by step) and
the passes after the batch is written (``run_passes``, ``passes.protocol``: each plans,
then each writes, then each does its after-write work). The features' steps and passes come
from the features' registry (``features.registry``), in its order: a new feature is a folder
with a ``feature.py`` and a line there, none here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..alerts.alerter import Alerter
from ..alerts.channels import PagedIncident
from ..alerts.escalation import EscalationWatch, escalated_tickets
from ..alerts.escalations import EscalationChannelsPass
from ..alerts.run_pass import EscalationPass, RunAlertsPass
from ..common.eventlog import EventLog, read_events
from ..features.registry import FEATURES
from ..incidents.paging import paged_incidents
from ..journal.served import ServedJournalPass, merged_counts
from ..metrics.export import MetricsPass
from ..passes.protocol import RunEnd, RunPass
from ..passes.types import RunOptions, RunSummary
from ..report.runs import recent_success_rate, summarise_runs
from ..resilience.deadline import RunDeadline
from ..settings import Settings
from ..steps.feature import Escalating, FeatureRun, PassRun
from ..steps.protocol import TicketStep
from ..topics.run_pass import RisingPass, RisingWatch, categoriser, open_watch
from ..triage.chain import TriageEngine
from ..triage.taxonomy import Taxonomy
from .build import Parts, escalation_channels, incident_policy
from .connect import connect
from .pipeline import Pipeline, step_run

if TYPE_CHECKING:
    from ..incidents.sightings import Sightings
    from ..triage.route_rules import Route

# How far back the success-rate alert looks: the recent runs, about two hours at the cron pace.
ALERT_WINDOW = timedelta(hours=3)


def ticket_steps(settings: Settings, parts: Parts) -> list[TicketStep]:
    """The per-ticket steps, in the order each ticket goes through them: each feature's of the
    registry (``features.registry``), in its order. The cron run, ``backfill`` and ``serve``
    all take their steps from here (``runner.run_context``)."""
    harness = parts.harness
    run = FeatureRun(
        options=parts.options,
        helpdesk=parts.helpdesk,
        log=parts.log,
        warnings=parts.warnings,
        chain=parts.choice.chain,
        preferred=parts.choice.preferred,
        taxonomy=parts.taxonomy,
        index=parts.kb.index,
        alerter=parts.alerter,
        reopens=harness.reopens,
        served=harness.answers_served,
        deadline=harness.deadline,
        sleep=harness.sleep,
        connect=lambda bound: connect(settings, deadline=bound),
    )
    return [step for feature in FEATURES for step in feature.open_steps(settings, run)]


def run_passes(
    settings: Settings,
    built: Parts,
    pipeline: Pipeline,
    log: EventLog,
    watch: EscalationWatch,
    sightings: Sightings | None,
    *,
    backfill: bool,
    deadline: RunDeadline | None,
    sleep: Callable[[float], None],
) -> list[RunPass]:
    """The order of passes after a batch's tickets are written: the run's own, the steps' own,
    then each feature's (``features.registry``), then the escalations (a feature's pass that
    escalates tickets, ``steps.feature.Escalating``, has its sent with the routes') and the
    closing passes."""
    options, helpdesk, alerter = built.options, built.helpdesk, built.alerter
    journal = ServedJournalPass(
        settings.state_dir, sightings.add if sightings is not None else None
    )

    def open_counts(end: RunEnd) -> RisingWatch | None:
        created = merged_counts(pipeline.recorder.created.items(), journal.counts())
        return _rising_watch(
            settings, options, end.summary, created, built.taxonomy, built.choice.chain, backfill
        )

    rising = RisingPass(
        open_counts, helpdesk, settings.state_dir, alerter, shared=sightings is not None
    )
    passes: list[RunPass] = [journal, rising]
    if sightings is not None:
        from ..incidents.run_pass import IncidentPass, IncidentRunPass

        quiet = options.dry_run or options.shadow  # shadow: decide, write nothing
        passes.append(
            IncidentRunPass(
                lambda: IncidentPass(
                    incident_policy(settings),
                    helpdesk,
                    settings.state_dir,
                    log,
                    pipeline.ctx.run_id,
                    quiet,
                    None if quiet else alerter,
                    rising=rising.watch,
                ),
                sightings,
            )
        )
    passes += step_passes(pipeline)
    routes = built.router.defined if built.router is not None else ()
    features = feature_passes(settings, built, pipeline, routes, backfill=backfill)
    passes += features
    escalating = [one for one in features if isinstance(one, Escalating)]

    def more() -> dict[int, tuple[str, tuple[str, ...]]]:
        return {k: v for one in escalating for k, v in one.escalations().items()}

    def incidents() -> list[PagedIncident] | None:
        return paged_incidents(settings.state_dir, helpdesk.ticket_url)

    passes += [
        EscalationChannelsPass(
            lambda: escalation_channels(
                settings,
                built,
                deadline=deadline,
                sleep=sleep,
                stop=lambda: pipeline.ctx.stop_signal(),
            ),
            lambda: {
                **escalated_tickets(built.planner, watch),
                **more(),
            },
            helpdesk,
            incidents if sightings is not None else lambda: None,
            deadline=deadline,
            stop=lambda: pipeline.ctx.stop_signal(),
        ),
        EscalationPass(
            alerter,
            watch,
            built.planner.escalation,
            helpdesk.ticket_url,
            routes,
            more=more,
        ),
    ]
    return passes + closing_passes(
        settings, options, alerter, llm_alerted=lambda: "llm" in built.opened_now
    )


def feature_passes(
    settings: Settings, built: Parts, pipeline: Pipeline, routes: Sequence[Route], *, backfill: bool
) -> list[RunPass]:
    """Each feature's pass (``features.registry``), in the registry's order: those on."""

    def should_stop() -> object:
        return pipeline.ctx.stop_signal() or (pipeline.deadline and pipeline.deadline.spent())

    run = PassRun(
        helpdesk=built.helpdesk,
        options=built.options,
        backfill=backfill,
        routes=routes,
        journal=pipeline.ctx.ledger,
        claims=pipeline.ctx.claims,
        should_stop=should_stop,
    )
    found = (feature.open_pass(settings, run) for feature in FEATURES)
    return [one for one in found if one is not None]


def closing_passes(
    settings: Settings, options: RunOptions, alerter: Alerter, *, llm_alerted: Callable[[], bool]
) -> list[RunPass]:
    """The last passes, which need the settings alone: the alerts the finished run calls for
    and its figures. A run that failed before its parts were built, or whose pipeline failed,
    takes them too (``record.record_failure``): a failed run is alerted and counted whatever
    failed."""
    gateway = settings.metrics_pushgateway
    return [
        RunAlertsPass(
            alerter,
            recent_rate=lambda: recent_success_rate(
                summarise_runs(
                    read_events(settings.log_dir, since=datetime.now(UTC) - ALERT_WINDOW)
                )
            ),
            objective=settings.success_objective,
            llm_alerted=llm_alerted,
        ),
        MetricsPass(
            pushgateway=gateway.get_secret_value() if gateway else None,
            textfile=settings.metrics_textfile,
            account=urlsplit(settings.helpdesk_base_url).hostname or settings.helpdesk,
            shard=options.shard,
        ),
    ]


def step_passes(pipeline: Pipeline) -> list[RunPass]:
    """The per-ticket steps' own passes, in the steps' order, over the batch's tickets: those
    the run took and those its feed showed changed."""
    ctx = pipeline.ctx
    quiet = ctx.options.dry_run or ctx.options.shadow  # shadow: decide, write nothing
    run = replace(
        step_run(ctx, quiet=quiet),
        ticket_ids=lambda: [*pipeline.taken, *pipeline.changed],
        should_stop=lambda: ctx.stop_signal() or (pipeline.deadline and pipeline.deadline.spent()),
    )
    found = (step.run_pass(run) for step in ctx.steps)
    return [one for one in found if one is not None]


def _prime(texts: list[str]) -> object:
    """Encode a page's texts together (numpy and the weights: only once a seed reads)."""
    from ..learned.embed import Encoder

    return Encoder().encode(texts)


def _forget(texts: list[str]) -> None:
    if "ticket_processor.learned.embed" in sys.modules:  # nothing to forget without it
        from ..learned.embed import forget

        forget(texts)


def _rising_watch(
    settings: Settings,
    options: RunOptions,
    summary: RunSummary,
    created: Mapping[str | None, Mapping[str, int]],
    taxonomy: Taxonomy,
    chain: Sequence[TriageEngine],
    backfill: bool,
) -> RisingWatch | None:
    """The daily category counts with the run's tickets in, by the day each was created
    (``created``; a backfill's only today's), not for a dry or shadow run; seeded from the
    helpdesk by the run's local engines, never the LLM."""
    if options.dry_run or options.shadow:
        return None
    local = [engine for engine in chain if engine.name != "llm"]  # the cascade calls itself llm
    learned = any(engine.name == "learned" for engine in local)
    watch = open_watch(
        settings.state_dir,
        created,
        categoriser(taxonomy, options.prefix, local, _prime if learned else None, _forget),
        today=datetime.now(UTC).date(),
        past=not backfill,
    )
    # No reading after a backfill or an abort, nor in a run told to read by --query (search,
    # not the export: the token may not be allowed the export).
    watch.seed_read = backfill or summary.status == "aborted" or bool(options.query)
    return watch
