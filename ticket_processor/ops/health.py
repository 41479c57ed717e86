"""``ticketbot health``: is the scheduled job able to work, and did it work lately?

The checks, each healthy / degraded / unhealthy with a reason a person can act on: the helpdesk (an
authenticated ``users/me``), the LLM endpoint (or "not configured": the learned model is then in
use, which is healthy), the routes file's groups against the helpdesk's (when one is configured: a
route whose group is gone is unhealthy), the fields file's entries against the helpdesk's fields
(likewise: a field or option renamed or removed is unhealthy), free disk for logs and state (and
that a run may write there, as it would: a temp file made and removed, unhealthy with the run's own
message when not), the circuit breakers saved by the last runs, the age of the last run, the success
rate of the recent runs, and, when configured, the Redis of the shared budgets and the PostgreSQL
database, else the embedded audit store read whole (``health_stores``). The overall status is
the worst one; the exit code follows the monitoring-plugin convention (0 OK, 1 WARNING =
degraded, 2 CRITICAL = unhealthy; 3 UNKNOWN when it could not check).

What it checks comes as one ``HealthSetup`` the command builds from the settings: the paths,
the objective, and the configured helpdesk and LLM endpoint as connectors (settings become
adapters in the command, not here), each opened with health's own short timeout and no retries.
The network probes are injected (``probes``) so the verdict logic is testable as plain data;
the defaults talk to the real endpoints through those connectors.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from ..common.atomic import usable_problem
from ..common.eventlog import read_events
from ..common.scrub import Scrubber, display_url
from ..errors import AuthError, ConfigError, HelpdeskError, LLMAuthError, LLMError, TicketBotError
from ..learned.choice import model_in_use, promotion_text, recorded_scores, scores_text, trained_at
from ..learned.examples.key import examples_engine_in_use
from ..models import Helpdesk
from ..report.live import lock_holders
from ..report.runs import LoggedRun, mark_running, newest_analyses, summarise_runs
from ..state.ledger import RunLedger
from ..state.lock import lock_holder
from ..summary.field import field_verdict
from ..triage import llm_calibration
from ..triage.confidence import never_applied, threshold_text
from ..triage.fieldbook import load_field_book
from ..triage.routebook import load_router
from ..triage.taxonomy import load_taxonomy
from .health_stores import database_verdict, embedded_store_verdict, redis_verdict
from .health_verdicts import (
    RECENT_WINDOW,
    Check,
    HealthReport,
    Status,
    breaker_check,
    caution_check,
    disk_check,
    fallback_check,
    last_run_check,
    lock_check,
    success_check,
)

if TYPE_CHECKING:  # the type only: openai is imported by the command that configured an LLM
    from ..llm import LLMAnalyser

PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class HealthSetup:
    """What the checks look at, read once from the settings by ``ticketbot health``."""

    helpdesk: str  # the configured helpdesk's kind: the name of its check
    # The configured helpdesk, its calls bounded by this many seconds.
    connect: Callable[[float], Helpdesk]
    # The configured LLM endpoint's analyser, bounded likewise; None: no LLM is configured.
    llm: Callable[[float], LLMAnalyser] | None
    log_dir: Path
    state_dir: Path
    learned_model: Path | None  # TICKETBOT_LEARNED_MODEL
    routes_file: Path | None
    taxonomy_file: Path | None
    tag_prefix: str
    success_objective: float
    fields_file: Path | None = None  # TICKETBOT_FIELDS
    summary_field: str | None = None  # TICKETBOT_SUMMARY_FIELD
    llm_model: str | None = None  # the first of TICKETBOT_MODEL: whose calibration runs use
    apply_at: str | None = None  # TICKETBOT_APPLY_AT, which overrides the calibration's
    confidence_threshold: float = 0.5  # TICKETBOT_CONFIDENCE_THRESHOLD
    redis_url: str | None = None  # TICKETBOT_LLM_BUDGET: the shared budgets' Redis
    database_url: str | None = None  # TICKETBOT_DATABASE_URL
    # The breakers of the endpoints the settings use; None: every saved breaker judges.
    breakers_in_use: tuple[str, ...] | None = None


# A probe returns its verdict and what it found, or raises a ticketbot error.
Probe = Callable[[HealthSetup], tuple[Status, str]]


def learned_model_check(setup: HealthSetup) -> Check:
    """Which learned model a run uses and the score its file records (nothing is loaded)."""
    chosen = model_in_use(setup.learned_model, setup.state_dir)
    examples = examples_engine_in_use(chosen, setup.state_dir, setup.taxonomy_file)
    if examples is not None:  # the taxonomy's examples, no model learned for it
        return Check("learned model", "healthy", examples + _where_used(setup))
    if not chosen.path.is_file():
        return Check(
            "learned model",
            "degraded",
            f"{chosen.describe()} is missing: the keyword rules take its place; "
            "train one with `ticketbot learn` or unset TICKETBOT_LEARNED_MODEL",
        )
    told = f"{chosen.describe()}: {scores_text(recorded_scores(chosen.path))}"
    trained = trained_at(chosen.path)
    if trained:
        told += f"; trained {trained}"
    promoted = promotion_text(chosen.path)
    if promoted:
        told += f"; {promoted}"
    told += _where_used(setup)
    if chosen.origin == "bundled":
        told += "; `ticketbot learn` trains one on your own tickets"
    return Check("learned model", "healthy", told)


def answers_gate_check(state_dir: Path) -> Check:
    """Which gate decides whether an answer may be sent (when the answers file chooses the
    gate): the team's own (``answers calibrate --from-helpdesk``: when it was fitted, on how
    many tickets, its cross-validated figures) or the shipped one."""
    from ..answers.team_gate import gate_in_use

    in_use = gate_in_use(state_dir)
    if in_use.gate is None:
        return Check("answers gate", "degraded", "the shipped gate's file is missing or damaged")
    told = in_use.describe()
    if in_use.outdated:
        # The team fitted its own gate and runs no longer use it: someone should know.
        return Check("answers gate", "degraded", told)
    if in_use.origin != "team":
        told += "; `ticketbot answers calibrate --from-helpdesk` fits one on your own tickets"
    return Check("answers gate", "healthy", told)


def _where_used(setup: HealthSetup) -> str:
    """What runs do with the learned engine: behind an LLM it is the fallback (loaded only
    when the LLM fails), without one it triages first (``run.engines.build_learned``)."""
    if setup.llm is not None:
        return "; runs use it where the LLM fails, before the keyword rules"
    return "; runs triage with it first (no LLM configured), the keyword rules after"


def calibration_check(setup: HealthSetup) -> Check | None:
    """The LLM's calibration runs use (``ticketbot calibrate``) and what it applies; None
    without an LLM. A field it never applies is degraded: runs leave it as a suggestion, so no
    routing or escalation follows from it."""
    if setup.llm is None or setup.llm_model is None:
        return None
    name = "calibration"
    default = (
        "the LLM's fields apply by its own confidence "
        f"(TICKETBOT_CONFIDENCE_THRESHOLD, {setup.confidence_threshold})"
    )
    try:
        taxonomy = load_taxonomy(setup.taxonomy_file)
    except ConfigError as exc:
        return Check(name, "unknown", f"not configured: {exc}")
    found, why = llm_calibration.load(setup.state_dir, setup.llm_model, taxonomy.names)
    if found is None:
        if why or setup.apply_at:  # thresholds without a calibration are not used
            unused = f"TICKETBOT_APPLY_AT={setup.apply_at} is not used without one; "
            told = (why or "none saved") + "; " + (unused if setup.apply_at else "")
            return Check(name, "degraded", f"{told}until then {default}")
        return Check(name, "healthy", f"none saved: {default}; `ticketbot calibrate FILE` fits one")
    parts, never = [], []
    for field_name, fit in found.fields.items():
        if never_applied(fit.apply_at):
            never.append(field_name)
            parts.append(f"{field_name} never applied (only suggested)")
        else:
            parts.append(
                f"{field_name} applied at {threshold_text(fit.apply_at)} ({fit.rows} rows)"
            )
    told = (
        f"{setup.state_dir / llm_calibration.FILE_NAME} for {setup.llm_model}"
        + (f", written {found.written_at}" if found.written_at else "")
        + ": "
        + "; ".join(parts or ["no field"])
        + "; any other field as uncalibrated"
    )
    if setup.apply_at:
        told += f"; TICKETBOT_APPLY_AT={setup.apply_at} overrides it"
    if never and not setup.apply_at:
        told += "; `ticketbot calibrate --reset` goes back to the default"
        return Check(name, "degraded", told)
    return Check(name, "healthy", told)


def _probe_check(name: str, probe: Probe, setup: HealthSetup) -> Check:
    try:
        status, detail = probe(setup)
    except (AuthError, LLMAuthError) as exc:
        return Check(name, "unhealthy", f"credentials refused: {exc}")
    except ConfigError as exc:
        return Check(name, "unknown", f"not configured: {exc}")
    except (HelpdeskError, LLMError) as exc:
        return Check(name, "unhealthy", str(exc))
    except TicketBotError as exc:
        return Check(name, "unhealthy", str(exc))
    return Check(name, status, detail)


# -- the probes (network) -----------------------------------------------------------------


def probe_helpdesk(setup: HealthSetup) -> tuple[Status, str]:
    # Short timeouts: health answers now, the run is the one that retries.
    helpdesk = setup.connect(PROBE_TIMEOUT)
    try:
        found = helpdesk.probe()
    finally:
        helpdesk.close()
    if not found.ok:
        return "unhealthy", found.detail
    return "healthy", f"{setup.helpdesk} at {display_url(helpdesk.base_url)}: {found.detail}"


def probe_routes(setup: HealthSetup) -> tuple[Status, str]:
    """The routes file against the helpdesk's groups now: a route whose group is gone makes
    the job unhealthy (runs go on, but leave that route's tickets unplaced) until it is fixed."""
    if setup.routes_file is None:
        return "healthy", "no routes file (TICKETBOT_ROUTES): tickets are not routed"
    taxonomy = load_taxonomy(setup.taxonomy_file)
    helpdesk = setup.connect(PROBE_TIMEOUT)
    try:
        router = load_router(
            setup.routes_file,
            helpdesk,
            prefix=setup.tag_prefix,
            categories=taxonomy.names,
            subcategories=taxonomy.subcategory_names,
        )
    finally:
        helpdesk.close()
    if router is None:
        return "healthy", f"{setup.routes_file} holds no routes"
    if router.missing:
        return "unhealthy", "; ".join(route.missing_message for route in router.missing)
    return "healthy", f"{len(router.routes)} route(s) in {setup.routes_file} resolve"


def probe_fields(setup: HealthSetup) -> tuple[Status, str]:
    """The fields file against the helpdesk's fields now: an entry whose field or option is
    gone (renamed or removed by an admin) makes the job unhealthy, naming the field; runs go
    on, filling the other fields and leaving that one alone, until the file is fixed."""
    if setup.fields_file is None:
        return "healthy", "no fields file (TICKETBOT_FIELDS): no helpdesk field is filled"
    helpdesk = setup.connect(PROBE_TIMEOUT)
    try:
        book = load_field_book(setup.fields_file, helpdesk)
    finally:
        helpdesk.close()
    if book.stale:
        return "unhealthy", "; ".join(book.messages(str(setup.fields_file)))
    return "healthy", f"{len(book.fields)} field(s) in {setup.fields_file} resolve"


def probe_summary(setup: HealthSetup) -> tuple[Status, str]:
    helpdesk = setup.connect(PROBE_TIMEOUT)
    try:
        return field_verdict(str(setup.summary_field), helpdesk.ticket_fields())
    finally:
        helpdesk.close()


def probe_llm(setup: HealthSetup) -> tuple[Status, str]:
    if setup.llm is None:
        # Without an LLM the learned model (the user's, else the bundled one) triages first.
        chosen = model_in_use(setup.learned_model, setup.state_dir)
        examples = examples_engine_in_use(chosen, setup.state_dir, setup.taxonomy_file)
        engine = "the examples engine" if examples is not None else chosen.describe()
        return "healthy", (
            "not configured (no OPENAI_API_KEY or OPENAI_BASE_URL): the learned engine "
            f"triages, with {engine}, the keyword rules behind it"
        )
    analyser = setup.llm(PROBE_TIMEOUT)
    try:
        found = analyser.check(timeout=PROBE_TIMEOUT)
    finally:
        analyser.close()
    # A configured model the endpoint does not list will fail every call (and fall back).
    return ("degraded" if "not listed" in found else "healthy"), found


def _free_bytes(path: Path) -> tuple[Path, int]:
    """Free bytes on the file system that will hold ``path`` (its nearest existing parent)."""
    probe = path.resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe, shutil.disk_usage(probe).free


def check_health(
    setup: HealthSetup,
    *,
    now: datetime | None = None,
    probes: Mapping[str, Probe] | None = None,
    free_bytes: Callable[[Path], tuple[Path, int]] = _free_bytes,
) -> HealthReport:
    """Run every check; ``probes`` may replace ``"helpdesk"``, ``"llm"``, ``"routes"``,
    ``"fields"`` and ``"summary"`` (each of the last three checked only when it is configured)."""
    now = now or datetime.now(UTC)
    given = dict(probes or {})
    helpdesk_probe = given.get("helpdesk") or probe_helpdesk
    chosen = {
        "helpdesk": helpdesk_probe,
        "llm": given.get("llm") or probe_llm,
        "routes": given.get("routes") or probe_routes,
        "fields": given.get("fields") or probe_fields,
        "summary": given.get("summary") or probe_summary,
    }
    checks = [
        _probe_check(setup.helpdesk, chosen["helpdesk"], setup),
        _probe_check("llm", chosen["llm"], setup),
    ]
    if setup.routes_file is not None:
        checks.append(_probe_check("routes", chosen["routes"], setup))
    if setup.fields_file is not None:
        checks.append(_probe_check("fields", chosen["fields"], setup))
    if setup.summary_field is not None:
        checks.append(_probe_check("summary field", chosen["summary"], setup))
    if setup.redis_url:
        checks.append(Check("redis", *redis_verdict(setup.redis_url)))
    if setup.database_url:
        checks.append(Check("postgresql", *database_verdict(setup.database_url)))
    elif (embedded := embedded_store_verdict(setup.state_dir)) is not None:
        checks.append(Check("audit store", *embedded))
    for name, path, setting in (
        ("disk (logs)", setup.log_dir, "TICKETBOT_LOG_DIR"),
        ("disk (state)", setup.state_dir, "TICKETBOT_STATE_DIR"),
    ):
        # Free space is no use to a run that may not write there: it refuses with this line.
        problem = usable_problem(path, setting)
        if problem:
            checks.append(Check(name, "unhealthy", problem))
            continue
        where, free = free_bytes(path)
        checks.append(disk_check(name, where, free))
    last: dict[str, Any] | None = None
    breakers: dict[str, Any] = {}
    if setup.state_dir.is_dir():
        ledger = RunLedger(setup.state_dir, read_only=True)
        last, breakers = ledger.last_run(), ledger.breaker_states()
        damaged = ledger.damaged_files()
        if damaged:
            told = "; ".join(f"{name}: {why}" for name, why in damaged)
            checks.append(
                Check(
                    "state",
                    "degraded",
                    f"{told} — the next run sets it aside and starts from a safe default",
                )
            )
        else:
            checks.append(Check("state", "healthy", f"{setup.state_dir} is readable"))
    checks.append(breaker_check(breakers, now=now.timestamp(), in_use=setup.breakers_in_use))
    events = list(read_events(setup.log_dir, since=now - RECENT_WINDOW))
    checks.append(fallback_check(newest_analyses(last, events)))
    checks.append(learned_model_check(setup))
    checks.append(answers_gate_check(setup.state_dir))
    calibration = calibration_check(setup)
    if calibration is not None:
        checks.append(calibration)
    cautious = caution_check(last, events)
    if cautious is not None:
        checks.append(cautious)
    runs = _marked_running(summarise_runs(events), setup.state_dir)
    hung = lock_check(lock_holder(setup.state_dir), now=now)
    if hung is not None:
        checks.append(hung)
    checks.append(last_run_check(last, runs, now=now))
    checks.append(success_check(runs, objective=setup.success_objective))
    return HealthReport(tuple(checks), checked_at=now)


def _marked_running(runs: list[LoggedRun], state_dir: Path) -> list[LoggedRun]:
    """The runs with those still going marked ``running`` (the run lock's live holder, as
    ``report`` tells them), so a run that logged no end and is not running reads as killed.
    Where no process can be asked (Windows, a state directory elsewhere), every run without an
    end is taken as running: health then says nothing of it, as before it could tell."""
    holders = lock_holders(state_dir)
    if holders is None:
        return [replace(r, running=True) if r.status is None else r for r in runs]
    return mark_running(runs, holders)


_STYLE: dict[Status, str] = {
    "healthy": "green",
    "degraded": "yellow",
    "unhealthy": "red",
    "unknown": "magenta",
}


def health_table(report: HealthReport, *, scrubber: Scrubber | None = None) -> Table:
    """The checks as a rich table titled with the overall verdict."""
    overall = report.status
    table = Table(
        title=Text(
            "ticketbot could not be checked: a setting is missing or wrong"
            if overall == "unknown"
            else f"ticketbot is {overall}",
            style=f"bold {_STYLE[overall]}",
        ),
        title_justify="left",
        show_lines=False,
    )
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason")
    for check in report.checks:
        reason = scrubber.text(check.reason) if scrubber is not None else check.reason
        table.add_row(check.name, Text(check.status, style=_STYLE[check.status]), reason)
    return table
