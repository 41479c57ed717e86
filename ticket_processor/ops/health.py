"""``ticketbot health``: is the scheduled job able to work, and did it work lately?

The checks, each healthy / degraded / unhealthy with a reason a person can act on: the helpdesk
(an authenticated ``users/me``), the LLM endpoint (or "not configured": the learned model is then
in use, which is healthy), the routes file's groups against the helpdesk's (when one is
configured: a route whose group is gone is unhealthy), the fields file's entries against the
helpdesk's fields (likewise: a field or option renamed or removed is unhealthy), free disk for
logs and state, the circuit breakers saved by the last runs, the age of the last run, the
success rate of the recent runs, and, when configured, the Redis of the shared budgets and the
PostgreSQL database (``health_stores``). The overall status is the worst one; the exit code follows
the monitoring-plugin convention (0 OK, 1 WARNING = degraded, 2 CRITICAL = unhealthy; 3 UNKNOWN
when it could not check).

What it checks comes as one ``HealthSetup`` the command builds from the settings: the paths,
the objective, and the configured helpdesk and LLM endpoint as connectors (settings become
adapters in the command, not here), each opened with health's own short timeout and no retries.
The network probes are injected (``probes``) so the verdict logic is testable as plain data;
the defaults talk to the real endpoints through those connectors.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.table import Table
from rich.text import Text

from ..common.eventlog import read_events
from ..common.scrub import Scrubber, display_url
from ..errors import AuthError, ConfigError, HelpdeskError, LLMAuthError, LLMError, TicketBotError
from ..learned.choice import model_in_use, promotion_text, recorded_scores, scores_text, trained_at
from ..models import Helpdesk
from ..report.runs import LoggedRun, newest_analyses, recent_success_rate, summarise_runs
from ..state.ledger import RunLedger
from ..triage import llm_calibration
from ..triage.fieldbook import load_field_book
from ..triage.routebook import load_router
from ..triage.taxonomy import load_taxonomy
from .health_stores import database_verdict, redis_verdict

if TYPE_CHECKING:  # the type only: openai is imported by the command that configured an LLM
    from ..llm import LLMAnalyser

# "unknown": a check could not run because a setting is missing or wrong; as for a settings
# file health cannot read, that is exit code 3 (UNKNOWN), the documented code for configuration.
Status = Literal["healthy", "degraded", "unhealthy", "unknown"]
RANK: dict[Status, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2, "unknown": 3}

GIB = 1024**3
MIB = 1024**2
DISK_DEGRADED_BELOW = 1 * GIB
DISK_UNHEALTHY_BELOW = 100 * MIB
# Two missed 10-minute runs plus slack: one late run is noise, three are an outage.
MAX_RUN_AGE = timedelta(minutes=30)
# The success rate looks at the runs of the last day, at most this many of the latest.
RECENT_RUNS = 12
RECENT_WINDOW = timedelta(hours=24)
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
    llm_model: str | None = None  # the first of TICKETBOT_MODEL: whose calibration runs use
    apply_at: str | None = None  # TICKETBOT_APPLY_AT, which overrides the calibration's
    confidence_threshold: float = 0.5  # TICKETBOT_CONFIDENCE_THRESHOLD
    redis_url: str | None = None  # TICKETBOT_LLM_BUDGET: the shared budgets' Redis
    database_url: str | None = None  # TICKETBOT_DATABASE_URL


# A probe returns its verdict and what it found, or raises a ticketbot error.
Probe = Callable[[HealthSetup], tuple[Status, str]]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    reason: str


@dataclass(frozen=True)
class HealthReport:
    checks: tuple[Check, ...]
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def status(self) -> Status:
        return max((c.status for c in self.checks), key=RANK.__getitem__, default="healthy")

    @property
    def exit_code(self) -> int:
        return RANK[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checked_at": self.checked_at.isoformat(timespec="seconds"),
            "checks": [
                {"name": c.name, "status": c.status, "reason": c.reason} for c in self.checks
            ],
        }


# -- the verdicts (pure) ----------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / GIB:.1f} GiB" if n >= GIB else f"{n / MIB:.0f} MiB"


def disk_check(name: str, path: Path, free: int) -> Check:
    if free < DISK_UNHEALTHY_BELOW:
        return Check(name, "unhealthy", f"only {_size(free)} free at {path}: free some space")
    if free < DISK_DEGRADED_BELOW:
        return Check(name, "degraded", f"{_size(free)} free at {path} (below 1 GiB)")
    return Check(name, "healthy", f"{_size(free)} free at {path}")


def breaker_check(states: Mapping[str, Any], *, now: float) -> Check:
    """Open breakers saved by the last runs (the next run tries again after the reset time)."""
    opened = []
    for name, entry in sorted(states.items()):
        if not isinstance(entry, Mapping) or entry.get("state") != "open":
            continue
        since = entry.get("opened_at")
        if isinstance(since, int | float) and not isinstance(since, bool):
            minutes = max(0, int((now - since) // 60))
            opened.append(f"{name} open for {minutes} min")
        else:
            opened.append(f"{name} open")
    if opened:
        effect = (
            "; the helpdesk breaker stops runs early, "
            "the LLM one sends tickets to the learned model"
        )
        return Check("breakers", "degraded", ", ".join(opened) + effect)
    names = ", ".join(sorted(states)) or "none recorded yet"
    return Check("breakers", "healthy", f"all closed ({names})")


def last_run_check(
    last: Mapping[str, Any] | None, runs: list[LoggedRun], *, now: datetime
) -> Check:
    """Age and outcome of the last finished run (the state file, else the logs)."""
    name = "last run"
    # A dry run writes nothing and proves nothing about the schedule: it does not count here.
    done = [
        r
        for r in runs
        if r.finished is not None and r.status not in (None, "locked") and not r.dry_run
    ]
    # The state file survives log pruning; the logs know about dry runs and older history.
    candidates: list[tuple[datetime, str | None, str | None]] = [
        (r.finished, r.status, r.reason) for r in done[-1:] if r.finished is not None
    ]
    if last:
        try:
            moment = datetime.fromisoformat(str(last.get("finished_at")))
        except ValueError:
            pass
        else:
            moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            candidates.append((moment, last.get("status"), last.get("reason")))
    if not candidates:
        dry = " (only dry runs, which do not count)" if any(r.dry_run for r in runs) else ""
        return Check(
            name, "degraded", f"no finished run recorded yet{dry}: is the schedule set up?"
        )
    finished, status, reason = max(candidates, key=lambda c: c[0])
    minutes = max(0, int((now - finished).total_seconds() // 60))
    told = f"{minutes} min ago, {status or 'unknown status'}"
    why = reason or "see `ticketbot report`"
    if len(done) >= 3 and all(r.status == "aborted" for r in done[-3:]):
        return Check(name, "unhealthy", f"the last 3 runs aborted: {why}")
    if now - finished > MAX_RUN_AGE:
        return Check(name, "degraded", f"{told}: none in the last 30 min; check the schedule")
    if status == "aborted":
        return Check(name, "degraded", f"{told}: {why}")
    return Check(name, "healthy", told)


def success_check(runs: Iterable[LoggedRun], *, objective: float) -> Check:
    """Triaged / (triaged + failed) over the recent finished runs."""
    name = "success rate"
    recent = [r for r in runs if r.status is not None and not r.dry_run][-RECENT_RUNS:]
    rate, attempts = recent_success_rate(recent, last=RECENT_RUNS)
    window = "the last run" if len(recent) == 1 else f"the last {len(recent)} runs"
    if rate is None:
        return Check(name, "healthy", f"no tickets in {window}")
    told = f"{rate:.1%} of {attempts} tickets in {window}"
    if rate < objective / 2:
        return Check(name, "unhealthy", f"{told}, far below the {objective:.0%} objective")
    if rate < objective:
        return Check(name, "degraded", f"{told}, below the {objective:.0%} objective")
    return Check(name, "healthy", told)


def fallback_check(last: Mapping[str, Any] | None) -> Check:
    """Did the last run's LLM answer (the last live run, or a shadow run after it)? Tickets
    that fell back to a local engine because the LLM
    failed (not because none is configured) make the job degraded: it works, but not as set up."""
    name = "llm fallback"
    if not last:
        return Check(name, "healthy", "no run yet")
    reasons = last.get("fallback_reasons")
    reasons = reasons if isinstance(reasons, Mapping) else {}
    failing = {k: v for k, v in reasons.items() if "no LLM configured" not in str(k)}
    fell = sum(int(v) for v in failing.values() if isinstance(v, int))
    if not fell:
        return Check(name, "healthy", "the last run's analyses came from the engine it wanted")
    total = last.get("triaged") if isinstance(last.get("triaged"), int) else 0
    told = ", ".join(f"{k} ×{v}" for k, v in sorted(failing.items()))
    cause = last.get("fallback_cause")
    if isinstance(cause, str) and cause:
        told = f"{told}; first cause: {cause}"  # what to fix, as the failing engine said it
    return Check(name, "degraded", f"{fell} of {total} tickets in the last run fell back: {told}")


def learned_model_check(setup: HealthSetup) -> Check:
    """Which learned model a run uses and the score its file records (nothing is loaded)."""
    chosen = model_in_use(setup.learned_model, setup.state_dir)
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
    # What runs do with it: behind an LLM it is the fallback (loaded only when the LLM fails),
    # without one it triages first (``run.engines.build_learned``).
    if setup.llm is not None:
        told += "; runs use it where the LLM fails, before the keyword rules"
    else:
        told += "; runs triage with it first (no LLM configured), the keyword rules after"
    if chosen.origin == "bundled":
        told += "; `ticketbot learn` trains one on your own tickets"
    return Check("learned model", "healthy", told)


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
        if fit.apply_at >= 1.0:
            never.append(field_name)
            parts.append(f"{field_name} never applied (only suggested)")
        else:
            parts.append(f"{field_name} applied at {fit.apply_at:.2f} ({fit.rows} rows)")
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


def probe_llm(setup: HealthSetup) -> tuple[Status, str]:
    if setup.llm is None:
        # Without an LLM the learned model (the user's, else the bundled one) triages first.
        chosen = model_in_use(setup.learned_model, setup.state_dir)
        return "healthy", (
            "not configured (no OPENAI_API_KEY or OPENAI_BASE_URL): the learned engine "
            f"triages, with {chosen.describe()}, the keyword rules behind it"
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
    """Run every check; ``probes`` may replace ``"helpdesk"``, ``"llm"``, ``"routes"`` and
    ``"fields"`` (each of the last two checked only when its file is configured)."""
    now = now or datetime.now(UTC)
    given = dict(probes or {})
    helpdesk_probe = given.get("helpdesk") or probe_helpdesk
    chosen = {
        "helpdesk": helpdesk_probe,
        "llm": given.get("llm") or probe_llm,
        "routes": given.get("routes") or probe_routes,
        "fields": given.get("fields") or probe_fields,
    }
    checks = [
        _probe_check(setup.helpdesk, chosen["helpdesk"], setup),
        _probe_check("llm", chosen["llm"], setup),
    ]
    if setup.routes_file is not None:
        checks.append(_probe_check("routes", chosen["routes"], setup))
    if setup.fields_file is not None:
        checks.append(_probe_check("fields", chosen["fields"], setup))
    if setup.redis_url:
        checks.append(Check("redis", *redis_verdict(setup.redis_url)))
    if setup.database_url:
        checks.append(Check("postgresql", *database_verdict(setup.database_url)))
    for name, path in (("disk (logs)", setup.log_dir), ("disk (state)", setup.state_dir)):
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
    checks.append(breaker_check(breakers, now=now.timestamp()))
    events = list(read_events(setup.log_dir, since=now - RECENT_WINDOW))
    checks.append(fallback_check(newest_analyses(last, events)))
    checks.append(learned_model_check(setup))
    calibration = calibration_check(setup)
    if calibration is not None:
        checks.append(calibration)
    runs = summarise_runs(events)
    checks.append(last_run_check(last, runs, now=now))
    checks.append(success_check(runs, objective=setup.success_objective))
    return HealthReport(tuple(checks), checked_at=now)


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
