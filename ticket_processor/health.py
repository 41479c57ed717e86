"""``ticketbot health``: is the scheduled job able to work, and did it work lately?

Six checks, each healthy / degraded / unhealthy with a reason a person can act on: the
helpdesk (an authenticated ``users/me``), the LLM endpoint (or "not configured": the rules
engine is then in use, which is healthy), free disk for logs and state, the circuit breakers
saved by the last runs, the age of the last run, and the success rate of the recent runs.
The overall status is the worst one; its rank is the exit code (0 / 1 / 2).

The network probes are injected (``probes``) so the verdict logic is testable as plain data;
the defaults talk to the real endpoints with short timeouts and no retries.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from rich.table import Table
from rich.text import Text

from .errors import AuthError, ConfigError, HelpdeskError, LLMAuthError, LLMError, TicketBotError
from .logs import read_events
from .report import RunSummary, recent_success_rate, summarise_runs
from .settings import Settings
from .state import StateStore

Status = Literal["healthy", "degraded", "unhealthy"]
RANK: dict[Status, int] = {"healthy": 0, "degraded": 1, "unhealthy": 2}

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

# A probe returns its verdict and what it found, or raises a ticketbot error.
Probe = Callable[[Settings], tuple[Status, str]]


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
        effect = "; the helpdesk breaker stops runs early, the LLM one sends tickets to the rules"
        return Check("breakers", "degraded", ", ".join(opened) + effect)
    names = ", ".join(sorted(states)) or "none recorded yet"
    return Check("breakers", "healthy", f"all closed ({names})")


def last_run_check(
    last: Mapping[str, Any] | None, runs: list[RunSummary], *, now: datetime
) -> Check:
    """Age and outcome of the last finished run (the state file, else the logs)."""
    name = "last run"
    done = [r for r in runs if r.finished is not None and r.status not in (None, "locked")]
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
        return Check(name, "degraded", "no finished run recorded yet: is the schedule set up?")
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


def success_check(runs: Iterable[RunSummary], *, objective: float) -> Check:
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


def _probe_check(name: str, probe: Probe, settings: Settings) -> Check:
    try:
        status, detail = probe(settings)
    except (AuthError, LLMAuthError) as exc:
        return Check(name, "unhealthy", f"credentials refused: {exc}")
    except ConfigError as exc:
        return Check(name, "unhealthy", f"not configured: {exc}")
    except (HelpdeskError, LLMError) as exc:
        return Check(name, "unhealthy", str(exc))
    except TicketBotError as exc:
        return Check(name, "unhealthy", str(exc))
    return Check(name, status, detail)


# -- the probes (network) -----------------------------------------------------------------


def probe_zendesk(settings: Settings) -> tuple[Status, str]:
    from .resilience import Retrier, RetryPolicy
    from .zendesk import ZendeskClient

    # One try with short timeouts: health answers now, the run is the one that retries.
    with ZendeskClient.from_settings(
        settings, timeout=(PROBE_TIMEOUT, PROBE_TIMEOUT), retrier=Retrier(RetryPolicy(attempts=1))
    ) as client:
        user = client.me()
    who = user.get("email") or user.get("name") or "unknown user"
    role = user.get("role")
    return "healthy", f"{client.base_url} as {who}" + (f" ({role})" if role else "")


def probe_llm(settings: Settings) -> tuple[Status, str]:
    if not settings.llm_configured:
        return "healthy", (
            "not configured (no OPENAI_API_KEY or OPENAI_BASE_URL): the rules engine triages"
        )
    from .llm import build_analyser

    analyser = build_analyser(settings, workers=1, breaker=None, retry=None, timeout=PROBE_TIMEOUT)
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
    settings: Settings,
    *,
    now: datetime | None = None,
    probes: Mapping[str, Probe] | None = None,
    free_bytes: Callable[[Path], tuple[Path, int]] = _free_bytes,
) -> HealthReport:
    """Run every check; ``probes`` may replace ``"zendesk"`` and ``"llm"``."""
    now = now or datetime.now(UTC)
    chosen = {"zendesk": probe_zendesk, "llm": probe_llm, **(probes or {})}
    checks = [
        _probe_check("zendesk", chosen["zendesk"], settings),
        _probe_check("llm", chosen["llm"], settings),
    ]
    for name, path in (("disk (logs)", settings.log_dir), ("disk (state)", settings.state_dir)):
        where, free = free_bytes(path)
        checks.append(disk_check(name, where, free))
    last: dict[str, Any] | None = None
    breakers: dict[str, Any] = {}
    if settings.state_dir.is_dir():
        try:
            state = StateStore(settings.state_dir)
            last, breakers = state.last_run(), state.breaker_states()
        except ConfigError as exc:
            checks.append(Check("state", "unhealthy", str(exc)))
    checks.append(breaker_check(breakers, now=now.timestamp()))
    runs = summarise_runs(read_events(settings.log_dir, since=now - RECENT_WINDOW))
    checks.append(last_run_check(last, runs, now=now))
    checks.append(success_check(runs, objective=settings.success_objective))
    return HealthReport(tuple(checks), checked_at=now)


_STYLE: dict[Status, str] = {"healthy": "green", "degraded": "yellow", "unhealthy": "red"}


def health_table(report: HealthReport, *, secrets: tuple[str, ...] = ()) -> Table:
    """The checks as a rich table titled with the overall verdict."""
    overall = report.status
    table = Table(
        title=Text(f"ticketbot is {overall}", style=f"bold {_STYLE[overall]}"),
        title_justify="left",
        show_lines=False,
    )
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("reason")
    for check in report.checks:
        reason = check.reason
        for secret in secrets:
            reason = reason.replace(secret, "***") if secret else reason
        table.add_row(check.name, Text(check.status, style=_STYLE[check.status]), reason)
    return table
