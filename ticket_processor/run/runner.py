"""``run_once``: ticketbot's public Python API, and what ``ticketbot run`` and ``demo`` call.

    from ticket_processor import Settings, load_settings, run_once
    summary = run_once(load_settings(os.environ), dry_run=True, limit=20)
    print(summary.status, summary.triaged, summary.exit_code)

It takes the run lock (a hung holder fails the run, recorded as any failed run) and the
``RunLedger`` (read-only for a dry run), builds the parts (``build.build``), runs one batch and
returns the ``RunSummary``. SIGINT and SIGTERM stop the run gracefully while it holds them.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..alerts.alerter import Alerter, log_alert
from ..alerts.escalation import EscalationWatch
from ..audit.feed import AuditFeed
from ..common.atomic import atomic_write_bytes, read_state_bytes, usable_problem
from ..common.collector import paused, widened
from ..common.eventlog import EventLog, EventSink, new_run_id, prune_logs
from ..errors import ConfigError, StaleLockError, StateFileRefused, TicketBotError
from ..helpdesks.field_guard import FieldGuard
from ..learned.labels import label_specs
from ..models import Helpdesk, Ticket, Triage
from ..passes.protocol import RunEnd, after_writes, plan_and_write
from ..passes.types import RunOptions, RunSummary
from ..resilience.deadline import RunDeadline
from ..resilience.pacing import resolve_workers
from ..resilience.runtime import Runtime
from ..resilience.shared_window import offline_notices
from ..resilience.signals import StopOnSignal
from ..settings import Settings
from ..settings.values import parse_thresholds
from ..state.claims import open_claims
from ..state.ledger import CursorStream, RunLedger
from ..state.lock import RunLock
from ..triage.fieldbook import ResolvedFields, load_field_book
from ..triage.prepare import PreparedTicket
from ..writeback.batch_writer import WriteClaims
from ..writeback.scope import parse_scope
from . import order
from .audit import NO_AUDIT, DecisionSink, close_audit, mode_of, prune_audit
from .build import Harness, Parts, alerter_for, build, open_feed
from .context import RunContext
from .pipeline import Pipeline
from .record import record_failure

if TYPE_CHECKING:
    from ..incidents.sightings import Sightings

# A run holding the lock longer than this is hung (the CronJob we print allows 540 s).
DEFAULT_STALE_LOCK = 3 * 3600.0


def run_options(settings: Settings, **flags: Any) -> RunOptions:
    """RunOptions from the settings plus the command's flags (None: flag not given)."""
    given = {k: v for k, v in flags.items() if v is not None}
    given.setdefault("scope", parse_scope(settings.scope, prefix=settings.tag_prefix))
    llm = given.get("engine", "llm") == "llm" and settings.llm_configured
    workers, auto = resolve_workers(given.pop("workers", settings.workers), llm=llm)
    return RunOptions(
        workers=workers,
        auto_workers=auto,
        prefix=settings.tag_prefix,
        confidence_threshold=settings.confidence_threshold,
        shadow=settings.shadow,
        retriage=settings.retriage,
        shadow_labels=label_specs(
            settings.tag_prefix,
            [s for s in (settings.shadow_labels or "").split(";") if s.strip()],
        ),
        apply_at=parse_thresholds(settings.apply_at, setting="TICKETBOT_APPLY_AT"),
        suggest_at=parse_thresholds(settings.suggest_at, setting="TICKETBOT_SUGGEST_AT"),
        max_input_tokens=settings.max_input_tokens,
        agent_language=settings.agent_language,
        audit_raw_subjects=settings.audit_raw_subjects,
        **given,
    )


def run_once(
    settings: Settings,
    options: RunOptions | None = None,
    *,
    on_progress: Callable[[str], None] = lambda event: None,
    on_notice: Callable[[str], None] = lambda line: None,
    price: Callable[[str | None, int, int], float] | None = None,
    writer_flush_after: float = 1.0,
    stop: Callable[[], str | None] | None = None,
    runtime: Runtime | None = None,
    backfill: bool = False,
    audit_dir: Path | None = None,
    **flags: Any,
) -> RunSummary:
    """One batch: take the lock (not for a dry run), build the parts, run, record.

    ``backfill``: discovery keeps the backfill's own cursor (``backfill.json``), not the
    scheduled runs'; ``audit_dir``: the one audit store's, when not the state directory."""
    settings.require_helpdesk()
    options = options or run_options(settings, **flags)
    audit_dir = audit_dir or settings.state_dir  # a shadow run's decisions go there, marked
    if options.shadow and not options.dry_run:
        # Its own state: cursor, lock, retry queue, cache; the live runs' stay untouched.
        settings = settings.model_copy(update={"state_dir": settings.state_dir / SHADOW_DIR})
    elif not options.dry_run and options.since is None and not options.ticket_ids:
        options = _live_after_shadow(settings, options, runtime or Runtime())
    runtime = runtime or Runtime()
    # The bound counts from here: connecting, syncing the help centre and recovering are in it.
    deadline = RunDeadline(options.max_runtime, clock=runtime.clock)
    parts = _Parts(
        on_progress,
        price,
        writer_flush_after,
        stop,
        runtime,
        backfill,
        deadline,
        on_notice,
        audit_dir,
    )
    if options.dry_run:
        # A dry run creates nothing, yet stops where the real run would (a file where the state
        # directory belongs, one it may not trust or write): its pass hides no first failure.
        problem = usable_problem(settings.state_dir, "TICKETBOT_STATE_DIR")
        if problem:
            raise ConfigError(problem)
        return _run(settings, options, RunLedger(settings.state_dir, read_only=True), parts)
    stale = DEFAULT_STALE_LOCK if options.max_runtime is None else options.max_runtime * 4 + 600
    last = deadline.length() or DEFAULT_STALE_LOCK  # in the lock: health names a run past it
    with contextlib.ExitStack() as held:
        try:
            lock = held.enter_context(RunLock(settings.state_dir, stale_after=stale, may_last=last))
        except StaleLockError as hung:  # a failed run, recorded as one that failed while built
            hung_out = replace(parts, refused=hung)
            return _run(settings, options, RunLedger(settings.state_dir), hung_out)
        ledger = RunLedger(settings.state_dir)
        if lock.set_aside is not None:  # a link or a directory where the lock belongs
            ledger.note_set_aside(lock.set_aside)
        return _run(settings, options, ledger, parts)


SHADOW_DIR = "shadow"


# When the first live run after shadow runs started: the runs after it start there too until one
# saved a cursor (one that found no ticket saves none: "now" again would skip those between).
LIVE_START = "live_start.json"


def _live_after_shadow(settings: Settings, options: RunOptions, runtime: Runtime) -> RunOptions:
    """The first live run after shadow runs starts from now: the shadow weeks' tickets are
    for ``backfill``, not for a first run that would triage the last 24 hours at once."""
    if not (settings.state_dir / SHADOW_DIR).is_dir():
        return options
    ledger = RunLedger(settings.state_dir, read_only=True)
    if ledger.load_cursor(settings.helpdesk) is not None:
        return options
    marker = settings.state_dir / LIVE_START
    try:
        since = datetime.fromisoformat(str(orjson.loads(read_state_bytes(marker))["since"]))
    except (OSError, StateFileRefused, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        since = runtime.now()
        with contextlib.suppress(OSError):
            atomic_write_bytes(marker, orjson.dumps({"since": since.isoformat()}))
    return replace(options, since=since)


@dataclass(frozen=True)
class _Parts:
    on_progress: Callable[[str], None]
    price: Callable[[str | None, int, int], float] | None
    writer_flush_after: float
    stop: Callable[[], str | None] | None
    runtime: Runtime
    backfill: bool = False
    deadline: RunDeadline | None = None
    on_notice: Callable[[str], None] = lambda line: None
    audit_dir: Path | None = None  # where audit.sqlite3 is: the state directory, not a shadow's
    refused: TicketBotError | None = None  # what kept the run from its lock (a hung holder)


def _run(settings: Settings, options: RunOptions, ledger: RunLedger, parts: _Parts) -> RunSummary:
    run_id = new_run_id()
    log = EventLog(settings.log_dir, run_id=run_id, secrets=settings.scrubber())
    if not options.dry_run and parts.refused is None:  # no lock: not ours to sweep
        ledger.sweep()  # before the audit store opens its file: a damaged one is set aside
    # Every decision and write of the run also goes to the audit store (run/audit.py). A store
    # out of reach does not stop the run (the log holds every decision, ``audit import`` loads
    # it later), but it is said on stderr, once, not only in the log.
    unstored: list[str] = []
    log.listen(
        lambda record: (
            unstored.append(str(record.get("reason", "")))
            if record.get("event") == "audit_unavailable"
            else None
        )
    )
    feed = open_feed(
        settings,
        log,
        run_id=run_id,
        mode=mode_of(dry_run=options.dry_run, shadow=options.shadow, backfill=parts.backfill),
        audit_dir=parts.audit_dir,
    )
    # A shared budget whose Redis is out of reach paces this process locally (a quarter of the
    # limit), so the run goes on, as a user wants tickets triaged while Redis is down; it is
    # said once in the run's log and on stderr, not only as a library warning.
    unreachable: list[str] = []

    def budget_offline(setting: str, error: str) -> None:
        line = (
            f"the Redis of {setting} is unreachable ({error}): the budgets shared there (LLM "
            "calls, helpdesk writes) pace this process alone, at a quarter of their limits"
        )
        if line not in unreachable:  # the LLM's and the writes' budget share one Redis
            unreachable.append(line)
            log.emit("shared_budget_unreachable", setting=setting, error=error, reason=line)

    try:
        with offline_notices(budget_offline):
            summary = _run_logged(settings, options, ledger, parts, run_id, log, feed)
    finally:
        close_audit(feed)
    summary.warnings.extend(unreachable)
    if unstored:
        summary.warnings.append(
            f"the audit store could not be used ({unstored[0]}): this run's decisions are in "
            "the log only; `ticketbot audit import` loads them once the store is back"
        )
    return summary


def _run_logged(
    settings: Settings,
    options: RunOptions,
    ledger: RunLedger,
    parts: _Parts,
    run_id: str,
    log: EventLog,
    feed: AuditFeed | None,
) -> RunSummary:
    """Build the run's parts, run the ticket pipeline, then the passes in their order. A run
    that fails before its pipeline records it, or by an error the pipeline cannot handle, is
    recorded and alerted all the same (``record.record_failure``)."""
    runtime = parts.runtime
    opened: list[str] = []  # the breakers that opened in this run (the LLM's alerted already)
    failed = partial(
        record_failure,
        run_id=run_id,
        helpdesk=settings.helpdesk,
        options=options,
        log=log,
        ledger=ledger,
        closing=order.closing_passes(
            settings, options, alerter_for(settings, ledger), llm_alerted=lambda: "llm" in opened
        ),
        backfill=parts.backfill,
    )
    try:
        built = _set_up(settings, options, ledger, parts, run_id, log, feed)
    except Exception as exc:
        if (aborted := failed(exc)) is not None:
            return aborted
        raise
    # The run's modules and parts are built: the collector's full passes skip those objects
    # (tens of thousands, most the openai SDK's types) until the run ends, not walk them again.
    gc.freeze()
    thresholds = widened()  # the tickets' own short-lived objects: fewer young passes
    options, alerter, helpdesk = built.options, built.alerter, built.helpdesk
    opened = built.opened_now
    watch = EscalationWatch(log)
    # A backfill's old tickets are no burst (they join the window later); numpy only to group.
    sightings: Sightings | None = None
    if settings.incidents and not parts.backfill:
        from ..incidents.sightings import Sightings
        from ..learned.embed import RUN_MEMO_SIZE, keep_recent

        sightings = Sightings()
        keep_recent(RUN_MEMO_SIZE)  # the grouping reads the run's vectors again after it
    recorded: RunSummary | None = None  # the pipeline's, once it has opened the record
    try:
        with StopOnSignal(
            announce=lambda name: log.emit("stop_requested", signal=name), flag=runtime.stop
        ) as sig:
            ctx = _context(settings, built, parts, run_id, ledger, feed, watch, sig, sightings)
            pipeline = Pipeline(ctx)
            pipeline.recorder.warn(*built.choice.notes, *built.kb.warnings, *built.warnings)
            pipeline.recorder.set_aside(*built.kb.set_aside)
            recorded = pipeline.summary
            summary = pipeline.run()
            if not options.dry_run:
                summary.warnings.extend(
                    _fields_gone_midrun(log, alerter, built.book, settings.fields_file, helpdesk)
                )
            end = RunEnd(
                run_id,
                summary,
                log,
                dry_run=options.dry_run,
                shadow=options.shadow,
                backfill=parts.backfill,
            )
            passes = order.run_passes(
                settings,
                built,
                pipeline,
                log,
                watch,
                sightings,
                backfill=parts.backfill,
                deadline=parts.deadline,
                sleep=parts.runtime.sleep,
            )
            plan_and_write(passes, end)
    except Exception as exc:
        if recorded is None or recorded.status == "aborted":  # else the run had ended well
            aborted = failed(exc, recorded=recorded)
            if aborted is not None:
                return aborted
        raise
    finally:
        gc.unfreeze()  # a process that runs again (serve, a test) collects them as before
        gc.set_threshold(*thresholds)
        built.close()
    if not options.dry_run:
        built.cache.flush()
    after_writes(passes, end)
    if summary.cautions and not options.dry_run:
        _keep_cautions(ledger, run_id, summary.cautions)
    log.close()
    return summary


def _set_up(
    settings: Settings,
    options: RunOptions,
    ledger: RunLedger,
    parts: _Parts,
    run_id: str,
    log: EventLog,
    feed: AuditFeed | None,
) -> Parts:
    """The lock held, the state checked, old logs pruned, the parts built (``build.build``)."""
    if parts.refused is not None:
        raise parts.refused  # a hung run holds the lock: this run fails as one failing here
    runtime = parts.runtime
    if not options.dry_run:
        ledger.validate_all()
        for path in prune_logs(
            settings.log_dir, keep_days=settings.keep_days, today=datetime.now(UTC).date()
        ):
            log.emit("log_pruned", file=path.name)
        prune_audit(feed, log, keep_days=settings.keep_days)
    harness = Harness(
        sleep=runtime.sleep,
        clock=runtime.clock,
        rng=runtime.rng,
        stop=runtime.stop,
        deadline=parts.deadline,
        price=parts.price,
    )
    with paused():  # the run's parts, kept to its end: nothing to collect among them
        return build(settings, options, run_id=run_id, log=log, ledger=ledger, harness=harness)


def _keep_cautions(ledger: RunLedger, run_id: str, cautions: dict[str, str]) -> None:
    """The judgements' cautions (``passes.caution``) join the run's ``last_run.json``, which
    ``ticketbot health`` reads: the passes that say them run after the record is written."""
    last = ledger.last_run()
    if last is not None and last.get("run_id") == run_id:
        ledger.save_last_run({**last, "cautions": dict(cautions)})


def _context(
    settings: Settings,
    built: Parts,
    parts: _Parts,
    run_id: str,
    ledger: RunLedger,
    feed: AuditFeed | None,
    watch: EscalationWatch,
    stop_signal: Callable[[], str | None],
    sightings: Sightings | None,
) -> RunContext:
    """The ticket pipeline's context: what each ticket's flow is handed."""
    runtime, options = parts.runtime, built.options
    return run_context(
        settings,
        built,
        run_id=run_id,
        ledger=ledger,
        log=watch,
        audit=feed,
        claims=None if options.dry_run else write_claims(settings, sleep=runtime.sleep),
        stop_signal=parts.stop or stop_signal,
        observe=sightings.observe if sightings is not None else None,
        runtime=runtime,
        stream="backfill" if parts.backfill else "run",
        on_progress=parts.on_progress,
        on_notice=parts.on_notice,
        writer_flush_after=parts.writer_flush_after,
        deadline=parts.deadline,
    )


def run_context(
    settings: Settings,
    parts: Parts,
    *,
    run_id: str,
    ledger: RunLedger,
    log: EventSink,
    audit: DecisionSink | None,
    claims: WriteClaims | None,
    stop_signal: Callable[[], str | None],
    observe: Callable[[Ticket, PreparedTicket, Triage], None] | None = None,
    runtime: Runtime | None = None,
    stream: CursorStream = "run",
    on_progress: Callable[[str], None] = lambda line: None,
    on_notice: Callable[[str], None] = lambda line: None,
    writer_flush_after: float = 1.0,
    deadline: RunDeadline | None = None,
) -> RunContext:
    """The one context of the per-ticket machinery (``pipeline.ticket_work``), for the cron
    run, ``backfill`` and ``serve`` alike: the parts' chain, cache and planner, and the
    steps ``order.ticket_steps`` lists, so a ticket a delivery names goes through the same
    work as one the cron run finds. The run sets its runtime, progress, bound and stream; the
    server its flush pace."""
    options, choice = parts.options, parts.choice
    return RunContext(
        options=options,
        run_id=run_id,
        helpdesk=parts.helpdesk,
        ledger=ledger,
        log=log,
        chain=choice.chain,
        cache=parts.kb.triage_cache(
            parts.cache,
            tag=options.cache_tag,
            suggestions=settings.kb_suggestions,
            drafts=settings.reply_draft and choice.preferred == "llm",
        ),
        planner=parts.planner,
        stop_signal=stop_signal,
        price=parts.price,
        write_settle_s=settings.http_timeout,
        audit=audit if audit is not None else NO_AUDIT,
        log_dir=settings.log_dir,
        claims=claims,
        steps=order.ticket_steps(settings, parts),
        observe=observe,
        stream=stream,
        writer_flush_after=writer_flush_after,
        deadline=deadline,
        runtime=runtime or Runtime(),
        on_progress=on_progress,
        on_notice=on_notice,
    )


def write_claims(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> WriteClaims:
    """The write claims every ticketbot process on this account shares (``state.claims``);
    ``sleep`` is the run's (a stop ends a wait for another process's claim)."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    return open_claims(settings.state_dir, url, sleep=sleep)


def _fields_gone_midrun(
    log: EventLog, alerter: Alerter, book: ResolvedFields, path: Path | None, helpdesk: Helpdesk
) -> list[str]:
    """A field whose option an admin removed while the run was under way: the helpdesk refused
    the writes that set it, and its adapter wrote them again without it (``FieldGuard``). Read
    the file against the helpdesk again to name the entry, warn and alert once, as a field
    found stale at the start is."""
    guard = getattr(helpdesk, "field_guard", None)
    if not isinstance(guard, FieldGuard) or not guard.refused or path is None:
        return []
    try:
        now = load_field_book(path, helpdesk)
    except TicketBotError as exc:
        log.emit("field_check_failed", level="warning", error=str(exc))
        return []
    known = {stale.name for stale in book.stale}
    gone = tuple(stale for stale in now.stale if stale.name not in known)
    messages = ResolvedFields((), gone).messages(f"TICKETBOT_FIELDS ({path})")
    for stale, message in zip(gone, messages, strict=True):
        log.emit("field_stale", level="warning", field=stale.name, detail=message, midrun=True)
        log_alert(log, alerter.field_stale(stale.name, message))
    return messages
