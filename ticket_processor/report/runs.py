"""Runs as the logs tell them: one ``LoggedRun`` per run id, with its outcome and engine mix.

Pure. A run's outcome is its ``run_finished`` ``status``: ``ok``, ``partial``, ``aborted``
or ``stopped`` (SIGINT / SIGTERM after saving progress); a run with no
``run_finished`` is ``None`` ("unfinished": killed; "running" while the process that took the
run lock, or for a ``serve`` session the serve lock, is alive: ``live_run_ids``, which the
report's ``mark_running`` and the dashboard's last runs share). Logs written before runs
said ``stopped`` recorded a Ctrl-C as ``ok`` with exit code 130 / 143: read as ``stopped``,
so an interrupted run is never counted among the good ones. ``ops.health`` and ``alerts.alerter``
reuse ``summarise_runs`` and ``recent_success_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..exitcodes import SIGNAL_EXIT

STOPPED_EXIT_CODES = tuple(int(code) for code in SIGNAL_EXIT.values())
# Outcomes in the order a reader cares about them, and how each is drawn: only ok is green.
OUTCOME_COLOURS: dict[str, str] = {
    "ok": "#2a8a57",
    "partial": "#e5a50a",
    "aborted": "#d0342c",
    "stopped": "#7a4fc9",
    "locked": "#8e8e93",
    "unfinished": "#8e8e93",
    "running": "#2f6fb3",
}
OTHER_OUTCOME_COLOUR = "#8e8e93"


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """The event's ``ts`` as an aware datetime, or None if missing or unreadable."""
    raw = event.get("ts")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_int(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def as_float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


@dataclass(frozen=True)
class LoggedRun:
    """One run as its ``run_finished`` event tells it (``status`` None if it never finished)."""

    run_id: str
    started: datetime | None
    finished: datetime | None
    status: str | None
    triaged: int = 0
    failed: int = 0
    fallback: int = 0
    reason: str | None = None
    dry_run: bool = False
    seconds: float | None = None
    exit_code: int | None = None
    engines: dict[str, int] = field(default_factory=dict)
    backfill: bool = False  # a run of ``ticketbot backfill``
    shadow: bool = False  # ``run --shadow``: decided and logged, nothing written
    served: bool = False  # a session of ``ticketbot serve`` (its webhooks' tickets)
    running: bool = False  # unfinished, and its process still alive (``mark_running``)

    @property
    def outcome(self) -> str:
        return self.status or ("running" if self.running else "unfinished")

    @property
    def kind(self) -> str:
        """What the run was, where it was not a scheduled live run: "serve", "shadow",
        "dry run" or ""."""
        if self.served:
            return "serve"
        return "shadow" if self.shadow else "dry run" if self.dry_run else ""


def outcome_of(finished: Mapping[str, Any]) -> str | None:
    """The status a ``run_finished`` event means (an old-style Ctrl-C ``ok`` is ``stopped``)."""
    status = finished.get("status")
    if not status:
        return None
    if status == "ok" and finished.get("exit_code") in STOPPED_EXIT_CODES:
        return "stopped"
    return str(status)


def summarise_runs(events: Iterable[Mapping[str, Any]], *, served: bool = False) -> list[LoggedRun]:
    """One ``LoggedRun`` per run id, in order of start (runs still going have no status);
    with ``served``, the sessions of ``ticketbot serve`` too (marked ``served``)."""
    started: dict[str, datetime | None] = {}
    finished: dict[str, Mapping[str, Any]] = {}
    dry: dict[str, bool] = {}
    shadow: dict[str, bool] = {}
    engines: dict[str, dict[str, int]] = {}
    # A run that logged no end (killed) is told by its tickets' own events: those it failed.
    failures: dict[str, int] = {}
    sessions: set[str] = set()
    for event in events:
        run_id = event.get("run_id")
        if not isinstance(run_id, str):
            continue
        if event.get("source") == "serve":
            # A server's session is not a scheduled run: neither the schedule's health nor its
            # success rate hears of it (``report`` counts its tickets as ``served``), but its id
            # is listed with the runs' (``revert --run`` takes it).
            if not served:
                continue
            sessions.add(run_id)
        kind = event.get("event")
        if kind == "run_started":
            started.setdefault(run_id, event_time(event))
            dry[run_id] = bool(event.get("dry_run"))
            shadow[run_id] = event.get("shadow") is True
        elif kind == "run_finished":
            finished[run_id] = event
            started.setdefault(run_id, None)
        elif kind == "ticket_triaged":
            mix = engines.setdefault(run_id, {})
            engine = str(event.get("engine") or "unknown")
            mix[engine] = mix.get(engine, 0) + 1
        elif kind == "ticket_failed":
            failures[run_id] = failures.get(run_id, 0) + 1
    runs = []
    for run_id, start in started.items():
        end = finished.get(run_id, {})
        end_time = event_time(end) if end else None
        seconds = as_float(end.get("seconds"))
        if seconds is None and start and end_time:
            seconds = (end_time - start).total_seconds()
        mix = engines.get(run_id, {})
        code = end.get("exit_code")
        runs.append(
            LoggedRun(
                run_id=run_id,
                started=start,
                finished=end_time,
                status=outcome_of(end),
                triaged=as_int(end.get("triaged")) if end else sum(mix.values()),
                failed=as_int(end.get("failed")) if end else failures.get(run_id, 0),
                fallback=as_int(end.get("fallback")),
                reason=str(end["reason"]) if end.get("reason") else None,
                dry_run=dry.get(run_id, False),
                seconds=seconds,
                exit_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                engines=dict(sorted(mix.items(), key=lambda kv: -kv[1])),
                backfill=end.get("backfill") is True,
                shadow=shadow.get(run_id, False),
                served=run_id in sessions,
            )
        )
    epoch = datetime.min.replace(tzinfo=UTC)
    runs.sort(key=lambda run: run.started or run.finished or epoch)
    return runs


@dataclass(frozen=True)
class LockHolders:
    """When the live holders of the state directory's locks took them (``state.lock.
    live_holder``): the run lock's (a ``run`` or ``backfill``), the serve lock's (``serve``);
    None where no process alive holds it."""

    run: datetime | None = None
    serve: datetime | None = None


def live_run_ids(
    unfinished: Iterable[tuple[str, datetime | None, bool]], holders: LockHolders
) -> set[str]:
    """Of the unfinished runs, as ``(run id, started, a serve session)``, the ids of those
    running now: per lock, the newest run of its kind that started since its live holder took
    it. A run that started before is one whose process died (killed, or a machine restarted):
    the lock was free and taken again since, by a later run or a review."""
    live: set[str] = set()
    candidates = list(unfinished)
    for served, taken in ((False, holders.run), (True, holders.serve)):
        if taken is None:
            continue
        since = taken - timedelta(seconds=1)  # the lock's time is to the second
        after = [
            (started, run_id)
            for run_id, started, session in candidates
            if session == served and started is not None and started >= since
        ]
        if after:
            live.add(max(after)[1])
    return live


def mark_running(runs: list[LoggedRun], holders: LockHolders) -> list[LoggedRun]:
    """``runs`` with those whose process is alive now marked running (``live_run_ids``)."""
    live = live_run_ids(
        ((r.run_id, r.started, r.served) for r in runs if r.status is None), holders
    )
    return [replace(r, running=True) if r.run_id in live else r for r in runs]


def recent_success_rate(
    runs: Iterable[LoggedRun], *, last: int = 12, unfinished: bool = False
) -> tuple[float | None, int]:
    """Triaged / (triaged + failed) over the ``last`` finished, non-dry runs, and the attempts;
    with ``unfinished``, the runs that logged no end and are not running (killed) count too,
    with the tickets they logged (``counted_runs``).

    Per run the figure is noisy (one failure in three tickets is 67%); over a dozen runs, two
    hours at the cron pace, it says whether the job is doing its work.
    """
    recent = counted_runs(runs, unfinished=unfinished)[-last:]
    triaged = sum(r.triaged for r in recent)
    attempts = triaged + sum(r.failed for r in recent)
    return (triaged / attempts if attempts else None), attempts


def counted_runs(runs: Iterable[LoggedRun], *, unfinished: bool = False) -> list[LoggedRun]:
    """The runs a success rate counts: the finished ones but dry runs; with ``unfinished``, the
    killed ones too (no end logged, not ``running``: the tickets they logged were triaged or
    failed all the same), which the rate would otherwise leave out without a word."""
    return [
        r
        for r in runs
        if not r.dry_run and (r.status is not None or (unfinished and not r.running))
    ]


def engine_mix(engines: Mapping[str, int]) -> str:
    """``"llm 40 · learned 3 · rules 2"``, biggest first; ``"–"`` when nothing was triaged."""
    return " · ".join(f"{name} {count}" for name, count in engines.items()) or "–"


def newest_analyses(
    last: Mapping[str, Any] | None, events: Iterable[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The newest run whose analyses say how the engines fared: the state's last run (a live
    run), or a later shadow run's ``run_finished`` event. A shadow run writes nothing and so
    leaves no last run in the state, yet it calls the LLM as a live run does: an LLM that failed
    every ticket of it is not healthy because the live run before it was."""
    shadow_runs: set[str] = set()
    finished: list[tuple[datetime, Mapping[str, Any]]] = []
    for event in events:
        kind = event.get("event")
        if kind == "run_started" and event.get("shadow") is True:
            shadow_runs.add(str(event.get("run_id")))
        elif kind == "run_finished":
            moment = event_time(event)
            if moment is not None:
                finished.append((moment, event))
    shadows = [(m, e) for m, e in finished if str(e.get("run_id")) in shadow_runs]
    if not shadows:
        return last
    moment, newest = max(shadows, key=lambda pair: pair[0])
    if last:
        try:
            recorded = datetime.fromisoformat(str(last.get("finished_at")))
        except ValueError:
            return newest
        recorded = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
        if recorded >= moment:
            return last
    return newest
