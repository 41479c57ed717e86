"""The order of the run's work, in one place: the per-ticket steps (``ticket_steps``,
``steps.protocol``: each ticket's and each reply's work after its triage, step by step) and
the passes after the batch is written (``run_passes``, ``passes.protocol``: each plans,
then each writes, then each does its after-write work). A new feature is a folder with a step
or a pass, and a line here."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..alerts.alerter import Alerter
from ..alerts.channels import PagedIncident
from ..alerts.escalation import EscalationWatch, escalated_tickets
from ..alerts.escalations import EscalationChannelsPass
from ..alerts.run_pass import EscalationPass, RunAlertsPass
from ..common.eventlog import EventLog, read_events
from ..incidents.paging import paged_incidents
from ..journal.served import ServedJournalPass, merged_counts
from ..kb.sources import IndexSource
from ..macros import setup as macros
from ..metrics.export import MetricsPass
from ..models import SPAM_KINDS
from ..passes.protocol import RunEnd, RunPass
from ..passes.types import RunOptions, RunSummary
from ..privacy.step import PeopleStep
from ..ratings.customers import CustomersPass
from ..report.runs import recent_success_rate, summarise_runs
from ..resilience.deadline import RunDeadline
from ..risk.step import RiskStep
from ..settings import Settings
from ..solved.step import open_solved, solved_steps, store_path
from ..spam.step import SpamStep
from ..steps.extras import StepExtras
from ..steps.protocol import TicketStep
from ..steps.reopening import Opener, ReopeningStep
from ..topics.run_pass import RisingPass, RisingWatch, categoriser, open_watch
from ..triage.chain import TriageEngine
from ..triage.taxonomy import Taxonomy
from .build import (
    Parts,
    escalation_channels,
    incident_policy,
    risk_scorer,
    run_answers,
    spam_gate,
    text_writer,
    translator_of,
)
from .connect import connect
from .pipeline import Pipeline, step_run

if TYPE_CHECKING:
    from ..incidents.sightings import Sightings
    from ..sla.run_pass import SlaPass
    from ..triage.route_rules import Route

# What the steps' features declare beyond their steps (``steps.extras``), in the steps' order:
# a feature with a field in the triage API or entries in the help-centre index adds its here.
STEP_EXTRAS: tuple[StepExtras, ...] = (macros.EXTRAS,)

# How far back the success-rate alert looks: the recent runs, about two hours at the cron pace.
ALERT_WINDOW = timedelta(hours=3)


def ticket_steps(settings: Settings, parts: Parts) -> list[TicketStep]:
    """The per-ticket steps, in the order each ticket goes through them: a new per-ticket
    feature is a folder with a step and a line here. The cron run, ``backfill`` and
    ``serve`` all take their steps from here (``runner.run_context``)."""
    options = parts.options
    steps: list[TicketStep] = [
        SpamStep(
            spam_gate(settings, parts.helpdesk),
            prefix=options.prefix,
            max_tokens=options.max_input_tokens,
            read_late=parts.choice.chain[0].name == "llm",  # the cascade's name too
        ),
        RiskStep(risk_scorer(settings)),
    ]
    if parts.harness.reopens:  # serve: a sync after it started reaches it
        opener = macros.book_opener(settings.state_dir, options.prefix)
        steps.append(_reopening("macros", macros.book_path(settings.state_dir), opener, parts))
    else:
        steps += macros.macro_steps(
            settings.state_dir, parts.helpdesk, options, settings.kb_max_age, parts.warnings
        )
    answers = run_answers(settings, parts, live=macros.source_live(parts.helpdesk))
    if answers is not None:
        from ..answers.step import AnswersStep  # its modules load only with answers on

        steps.append(AnswersStep(answers))
    if settings.summary_field:
        from ..summary.step import SummaryStep

        steps.append(
            SummaryStep(
                settings.summary_field,
                complete=text_writer(parts.choice.chain),
                language=settings.agent_language,
                held_tags=[f"{settings.tag_prefix}{kind}" for kind in SPAM_KINDS],
            )
        )
    steps += _solved(settings, parts)
    if settings.actions_file is not None:  # off: nothing of the feature imported
        from ..actions.setup import actions_step

        deadline = parts.harness.deadline
        steps.append(
            actions_step(
                settings.actions_file,
                settings.state_dir,
                prefix=options.prefix,
                writes=not (options.dry_run or options.shadow),
                time_left=deadline.left if deadline is not None else lambda: None,
                log=parts.log,
                answers=settings.answer_mode != "off",
                replies=answers.grounded if answers is not None else None,
            )
        )
    if settings.assignment != "off" or settings.two_way_reply:
        from ..assignment.setup import assignment_steps  # its modules load only when on

        steps += assignment_steps(
            settings.assignment,
            capacity=settings.agent_capacity,
            skills_file=settings.skills_file,
            two_way_reply=settings.two_way_reply,
            state_dir=settings.state_dir,
            translate=translator_of(parts.choice.chain),
        )
    # Whose each ticket is, for `privacy export` and `privacy forget`.
    steps.append(
        PeopleStep(
            settings.state_dir,
            settings.log_dir,
            settings.database_url,
            deletions_every=settings.deletions_every * 60.0,
        )
    )
    return steps


def _reopening(name: str, path: Path, opener: Opener, parts: Parts) -> ReopeningStep:
    """``serve``'s step on a file a sync rewrites: reopened when it changes (said in the log)."""

    def warn(line: str) -> None:
        parts.log.emit("step_file_unreadable", level="warning", step=name, error=line)

    def told(line: str) -> None:
        parts.log.emit("step_file_reopened", step=name, file=path.name)

    return ReopeningStep(name, path, opener, warn=warn, told=told)


def _solved(settings: Settings, parts: Parts) -> list[TicketStep]:
    """The similar solved tickets' step, when a sync started a store: ``serve``'s reopened as
    syncs add to it; a run's refreshed first when older than ``TICKETBOT_KB_MAX_AGE`` (never
    a dry or shadow run: it reads the store as it is)."""
    path = store_path(settings.state_dir)
    if parts.harness.reopens:

        def opener(current: object) -> TicketStep | None:
            if not path.is_file():
                return None
            from ..learned.embed import Encoder

            return open_solved(path, Encoder().encode, current)

        return [_reopening("solved", path, opener, parts)]
    if not path.is_file():  # off: nothing opened, nothing imported, nothing asked
        return []
    options = parts.options
    if not (options.dry_run or options.shadow):
        try:
            from ..solved.refresh import REFRESH_SECONDS, refresh_stale

            # Within the run's own bound too (--max-runtime): at most half of what is left.
            left = parts.harness.deadline.left() if parts.harness.deadline else None
            seconds = REFRESH_SECONDS if left is None else min(REFRESH_SECONDS, left / 2)
            said = refresh_stale(
                path,
                settings.kb_max_age,
                lambda bound: connect(settings, deadline=bound),
                seconds=seconds,
            )
        except Exception as exc:  # noqa: BLE001 - the store as it was still shows tickets
            said = f"the solved tickets could not be refreshed ({type(exc).__name__}: {exc})"
        if said:
            parts.warnings.append(said)
    return list(solved_steps(settings.state_dir))


def index_sources() -> list[IndexSource]:
    """The features that index entries of their own beside the help centre (``kb.sources``),
    in the steps' order: ``kb sync`` puts each one's entries back."""
    return [e.index_source for e in STEP_EXTRAS if e.index_source is not None]


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
    """The order of passes after a batch's tickets are written: a new feature is a folder with
    a pass and a line here."""
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
    every = settings.customer_ratings_every
    passes.append(CustomersPass(helpdesk.outcomes, settings.state_dir, every=every))
    routes = built.router.defined if built.router is not None else ()
    sla = None if backfill else _sla(settings, built, pipeline, routes)  # the cron run's watch
    passes += [sla] if sla is not None else []

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
                **(sla.escalations() if sla is not None else {}),
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
            more=sla.escalations if sla is not None else dict,
        ),
    ]
    return passes + closing_passes(
        settings, options, alerter, llm_alerted=lambda: "llm" in built.opened_now
    )


def _sla(
    settings: Settings, built: Parts, pipeline: Pipeline, routes: Sequence[Route]
) -> SlaPass | None:
    """The SLA pass (``sla/``) when ``TICKETBOT_SLA`` is on; off, nothing of it is imported."""
    if not settings.sla:
        return None
    from ..helpdesks.registry import KINDS
    from ..sla.run_pass import SlaPass

    kind = KINDS.get(built.helpdesk.kind)
    return SlaPass(
        built.helpdesk,
        kind.sla_reader() if kind is not None else None,
        settings.state_dir,
        horizon=settings.sla_horizon,
        prefix=built.options.prefix,
        language=settings.agent_language,
        routes=routes,
        journal=pipeline.ctx.ledger,
        claims=pipeline.ctx.claims,
        should_stop=lambda: (
            pipeline.ctx.stop_signal() or (pipeline.deadline and pipeline.deadline.spent())
        ),
    )


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
