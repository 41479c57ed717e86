"""``health``'s verdicts that are plain data: a check (name, status, reason), the report and its
exit code, and the checks of what the runs left behind (free disk, the breakers, the last run's
age, the recent success rate, the LLM's fallbacks in the last run). ``health`` adds the probes
of the helpdesk, the LLM and the files that need the network or the settings."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from ..passes.caution import cautions_line
from ..report.runs import LoggedRun, counted_runs, recent_success_rate
from ..spam.run_pass import known_customers
from ..state.lock import LockHolder

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


def breaker_check(
    states: Mapping[str, Any], *, now: float, in_use: Collection[str] | None = None
) -> Check:
    """Open breakers saved by the last runs (the next run tries again after the reset time).

    Breakers are kept per endpoint; with ``in_use`` (the names of the endpoints the current
    settings use) only those judge: one left open by a URL since corrected stops no run, so it is
    only mentioned, never degrading."""
    opened: list[str] = []
    elsewhere: list[str] = []
    for name, entry in sorted(states.items()):
        if not isinstance(entry, Mapping) or entry.get("state") != "open":
            continue
        since = entry.get("opened_at")
        if isinstance(since, int | float) and not isinstance(since, bool):
            minutes = max(0, int((now - since) // 60))
            told = f"{name} open for {minutes} min"
        else:
            told = f"{name} open"
        (opened if in_use is None or name in in_use else elsewhere).append(told)
    aside = (
        f"; not used by the current settings, so no run is held back: {', '.join(elsewhere)} "
        f"(`ticketbot breaker reset` closes {'them' if len(elsewhere) > 1 else 'it'})"
        if elsewhere
        else ""
    )
    if opened:
        effect = (
            "; the helpdesk breaker stops runs early, "
            "the LLM one sends tickets to the learned model"
        )
        return Check("breakers", "degraded", ", ".join(opened) + effect + aside)
    if in_use is not None:
        names = ", ".join(sorted(in_use))
        return Check("breakers", "healthy", f"closed for the endpoints in use ({names}){aside}")
    names = ", ".join(sorted(states)) or "none recorded yet"
    return Check("breakers", "healthy", f"all closed ({names})")


def caution_check(
    last: Mapping[str, Any] | None, events: Iterable[Mapping[str, Any]]
) -> Check | None:
    """The judgements kept in a cautious mode, and why (``passes.caution``): the safe behaviour
    of a first week, so healthy, but named, so nobody waits for links that a helpdesk with too
    little history does not make. None when every judgement acts.

    A caution about a state (the answers' ladder, the incidents' days of history) is the last
    run's: every run, a quiet one too, says it from that state. The spam gate's is about events
    (known customers' tickets it only suggested on), so it is counted over the ``events`` (the
    last 24 hours' log), not over whatever the last batch held."""
    cautions = (last or {}).get("cautions")
    told = (
        {str(k): str(v) for k, v in cautions.items() if k != "spam"}
        if isinstance(cautions, Mapping)
        else {}
    )
    known = sum(
        e["known"]
        for e in events
        if e.get("event") == "spam_judged"
        and not e.get("dry_run")
        and isinstance(e.get("known"), int)
    )
    if known:
        told["spam"] = known_customers(known, when="in the last 24 h").text()
    if not told:
        return None
    return Check("cautious judgements", "healthy", cautions_line(told))


# A run still holding the lock this long after its own bound (--max-runtime and its grace) is
# hung: a scheduler's kill allows 60 s past it, so no working run is still there.
LOCK_SLACK = 120.0


def lock_check(holder: LockHolder | None, *, now: datetime) -> Check | None:
    """A run holding the lock long past the time it said it may take (a read blocked for good,
    say): every scheduled run meanwhile exits 0 saying the lock is held, so nothing else shows
    it. None while no run holds the lock, or the holder is within its time."""
    if holder is None or holder.may_last is None:
        return None
    age = (now - holder.started).total_seconds()
    if age <= holder.may_last + LOCK_SLACK:
        return None
    return Check(
        "run lock",
        "degraded",
        f"a run (pid {holder.pid}) has held the lock for {age / 60:.0f} min (since "
        f"{holder.started:%Y-%m-%d %H:%M} UTC), past the {holder.may_last:g} s it may take: it is "
        "hung, and every scheduled run exits without working until it ends; stop that process "
        f"(kill {holder.pid}): the journal keeps its work for the next run",
    )


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
    if not candidates and not runs:
        # A fresh install: nothing has run, so nothing is wrong yet. Once anything has run (a
        # dry run, a run that never finished), a missing finished run is worth a look.
        return Check(name, "healthy", "no run yet: the first `ticketbot run` will record one")
    newest = max(candidates, key=lambda c: c[0])[0] if candidates else None
    killed = killed_since(runs, newest)
    if killed is not None:
        return _killed_check(killed, now=now)
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


def killed_since(runs: Iterable[LoggedRun], finished: datetime | None) -> LoggedRun | None:
    """The newest run that started after the last finished one (``finished``; None: none
    finished) and logged no end while no process runs it (``running``, the run lock's live
    holder): killed, or its machine stopped. Dry runs and ``serve`` sessions aside."""
    gone = [
        r
        for r in runs
        if r.status is None
        and not r.running
        and not r.dry_run
        and not r.served
        and r.started is not None
        and (finished is None or r.started > finished)
    ]
    return gone[-1] if gone else None


def _killed_check(run: LoggedRun, *, now: datetime) -> Check:
    """The last run logged no end: nothing ended it as a run ends (a ``kill -9``, an out-of-
    memory kill, a machine that stopped). Its record is gone with it; what it owed is not."""
    started = run.started or now
    minutes = max(0, int((now - started).total_seconds() // 60))
    logged = f"its log holds {run.triaged} triaged" + (
        f", {run.failed} failed" if run.failed else ""
    )
    return Check(
        "last run",
        "degraded",
        f"run {run.run_id} started {minutes} min ago and logged no end ({logged}): it was "
        "killed or its machine stopped. The next run finishes the writes it left and takes "
        "its other tickets again: let the schedule start it, or `ticketbot run` now",
    )


def success_check(runs: Iterable[LoggedRun], *, objective: float) -> Check:
    """Triaged / (triaged + failed) over the recent runs: the finished ones, and those killed
    with the tickets they logged (said, so a rate without them is never taken for the whole)."""
    name = "success rate"
    recent = counted_runs(runs, unfinished=True)[-RECENT_RUNS:]
    rate, attempts = recent_success_rate(recent, last=RECENT_RUNS, unfinished=True)
    if not recent:  # "no tickets in the last 0 runs" said nothing true
        return Check(name, "healthy", "no run has finished yet: nothing to rate")
    window = "the last run" if len(recent) == 1 else f"the last {len(recent)} runs"
    killed = [r.run_id for r in recent if r.status is None]
    if len(killed) == 1:
        window += f" (run {killed[0]} logged no end: the tickets its log holds are counted)"
    elif killed:
        ids = ", ".join(killed)
        window += f" (runs {ids} logged no end: the tickets their logs hold are counted)"
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
