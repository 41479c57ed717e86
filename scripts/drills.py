"""The crash drill: kill -9 campaigns against a stand-in helpdesk, for triage (the answers'
drill is in ``drills_answers.py``)."""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The answers drill publishes its help centre and tickets with the tests' own helpers.
from scripts import child_env as shared_child_env
from scripts import command_parser, standin_env
from ticket_processor.common.eventlog import read_events
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import cycle, load_samples
from ticket_processor.sandbox.desks import Desk, NewTicket, Snapshot, serve_desk
from ticket_processor.sandbox.llm_standin.server import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

# crash_test --------------------------------------------------------------------------------------


MARKER = "ai_processed"
URGENCY_TO_PRIORITY = {"critical": "urgent", "high": "high", "medium": "normal", "low": "low"}
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
FINAL_RUN_TIMEOUT = 300.0
START_TIMEOUT = 20.0  # seconds a child gets to send its first request


@dataclass(frozen=True)
class CampaignSettings:
    kills: int = 20
    tickets: int = 1500
    seed: int = 7
    llm_latency: float = 0.05
    workers: int = 4
    max_delay: float = 2.0
    job_delay_ms: float = 150.0
    helpdesk: str = "zendesk"  # or any kind the registry lists


@dataclass
class Attempt:
    """One child run that was meant to be killed."""

    index: int
    trigger: str  # "start": the delay counts from the run's first request; "write": its first write
    delay: float
    started_talking: bool = False  # it had sent a request to Zendesk before the kill
    killed: bool = False  # still running at the kill moment (else it had exited on its own)
    exit_code: int | None = None
    writes_in_flight: int = 0  # tickets in its crash journal after the kill
    jobs_pending: int = 0  # update_many jobs still queued or working at the kill
    tickets_done: int = 0  # tickets carrying the marker after this attempt


@dataclass
class Report:
    settings: CampaignSettings
    attempts: list[Attempt] = field(default_factory=list)
    final_runs: list[int] = field(default_factory=list)  # their exit codes
    tickets_checked: int = 0
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def kills(self) -> int:
        return sum(a.killed for a in self.attempts)

    @property
    def mid_run(self) -> int:
        return sum(a.killed and a.started_talking for a in self.attempts)

    @property
    def mid_write(self) -> int:
        return sum(
            a.killed and (a.writes_in_flight > 0 or a.jobs_pending > 0) for a in self.attempts
        )

    @property
    def final_ok(self) -> bool:
        return bool(self.final_runs) and self.final_runs[-1] == 0

    def lines(self) -> list[str]:
        s = self.settings
        done = [a.tickets_done for a in self.attempts]
        return [
            f"settings: helpdesk={s.helpdesk} kills={s.kills} tickets={s.tickets} seed={s.seed} "
            f"llm_latency={s.llm_latency}s workers={s.workers} max_delay={s.max_delay}s "
            f"job_delay_ms={s.job_delay_ms:g}",
            f"kills: {self.kills} of {len(self.attempts)} runs started "
            f"({len(self.attempts) - self.kills} exited before their kill moment)",
            f"kills that landed mid-run (after the run's first helpdesk request): {self.mid_run}",
            f"kills with a write in flight (journal non-empty or a job still queued): "
            f"{self.mid_write}",
            f"tickets done after each kill: {done}",
            f"final runs: {len(self.final_runs)} (exit codes {self.final_runs})",
            f"tickets checked: {self.tickets_checked}",
            f"violations: {len(self.violations)}",
            *(f"  {v}" for v in self.violations[:50]),
            f"seconds: {self.seconds:.1f}",
        ]


# --- the backlog ---------------------------------------------------------------------------


def seed_backlog(desk: Desk, count: int, rng: random.Random) -> dict[int, Snapshot]:
    """``count`` distinct open tickets; a third with agents' tags, a fifth with a priority."""
    tickets = []
    for n, sample in enumerate(cycle(load_samples(), count)):
        status = rng.choice(("new", "open", "pending"))
        tags = list(sample.tags)
        if rng.random() < 1 / 3:
            tags += ["agent_tag", f"queue_{rng.randrange(5)}"]
        priority = sample.priority or (
            rng.choice(("low", "normal", "high", "urgent")) if rng.random() < 0.2 else None
        )
        subject = sample.subject or f"(no subject) #{n}"
        body = sample.description or f"ticket {n}"
        tickets.append(NewTicket(subject, body, tuple(tags), priority, status))
    desk.create(tickets)
    return {i: desk.snapshot(i) for i in desk.ids()}


# --- the checks ----------------------------------------------------------------------------


def notes(desk: Desk, ticket_id: int) -> int:
    return len(desk.snapshot(ticket_id).notes)


def done_count(desk: Desk) -> int:
    return sum(MARKER in desk.snapshot(i).tags for i in desk.ids())


def duplicate_notes(desk: Desk) -> list[int]:
    return [i for i in desk.ids() if notes(desk, i) > 1]


def check_ticket(before: dict[str, Any], after: dict[str, Any], note_count: int) -> list[str]:
    """What is wrong with one ticket after the campaign (empty when it is right).

    The priority policy restated from ``tags.py`` on purpose (a check must not reuse the code it
    checks): below the confidence threshold the priority is left alone; a ticket without one gets
    the urgency's; a human's is never lowered, and raised when the urgency's is higher.
    """
    tid = before["id"]
    tags = list(after["tags"])
    problems: list[str] = []
    if MARKER not in tags:
        return [f"ticket {tid}: skipped (no {MARKER} marker, {note_count} notes)"]
    if note_count != 1:
        problems.append(f"ticket {tid}: {note_count} ticketbot notes")
    lost = [t for t in before["tags"] if t not in tags]
    if lost:
        problems.append(f"ticket {tid}: lost tags {lost}")
    urgencies = [t.removeprefix("ai_urgency_") for t in tags if t.startswith("ai_urgency_")]
    if len(urgencies) != 1 or urgencies[0] not in URGENCY_TO_PRIORITY:
        return [*problems, f"ticket {tid}: urgency tags {urgencies}"]
    old, new = before["priority"], after["priority"]
    wanted = URGENCY_TO_PRIORITY[urgencies[0]]
    if "ai_low_confidence" in tags:
        expected = old
    elif old is None or PRIORITY_RANK[wanted] > PRIORITY_RANK[old]:
        expected = wanted
    else:
        expected = old
    if new != expected:
        problems.append(
            f"ticket {tid}: priority {old!r} -> {new!r}, policy says {expected!r} "
            f"(urgency {urgencies[0]})"
        )
    return problems


def check_helpdesk(desk: Desk, original: dict[int, Snapshot]) -> list[str]:
    problems: list[str] = []
    for tid, before in sorted(original.items()):
        after = desk.snapshot(tid)
        problems += check_ticket(
            {"id": tid, "tags": before.tags, "priority": before.priority},
            {"id": tid, "tags": after.tags, "priority": after.priority},
            len(after.notes),
        )
    return problems


# --- the child runs --------------------------------------------------------------------------


def child_env(desk: Desk, standin: RunningStandin, work: Path, workers: int) -> dict[str, str]:
    return shared_child_env(
        desk.env(), standin_env(standin.url, work, "sk-crash-test-not-a-key", workers)
    )


def start_run(env: dict[str, str], work: Path, output: Path) -> subprocess.Popen[bytes]:
    with output.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "ticket_processor", "run"],
            env=env,
            cwd=work,  # no .env of the caller's is read
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def wait_for(
    condition: Callable[[], bool], child: subprocess.Popen[bytes], timeout: float = START_TIMEOUT
) -> bool:
    """Poll ``condition`` until it holds (True), the child exits or the time is up (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if child.poll() is not None:
            return False
        time.sleep(0.005)
    return False


def _requests(desk: Desk, fragment: str = "") -> int:
    return sum(n for key, n in desk.stats()["requests"].items() if fragment in key)


def write_requests(desk: Desk) -> str:
    """The endpoint keys' prefix shared by the desk's ticket writes: its ``write`` key's method
    and collection (``PUT /api/v2/tickets/`` holds Zendesk's ``update_many`` and its single
    ticket's PUT; ``PATCH /api/now/table/incident/`` ServiceNow's), so no helpdesk's path is
    spelled here."""
    return desk.ops["write"].rsplit("/", 1)[0] + "/"


def inflight_tickets(work: Path) -> int:
    import orjson

    try:
        data = orjson.loads((work / "state" / "inflight.json").read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return 0
    ids = data.get("ticket_ids") if isinstance(data, dict) else None
    return len(ids) if isinstance(ids, list) else 0


def kill_one(
    index: int,
    desk: Desk,
    env: dict[str, str],
    work: Path,
    rng: random.Random,
    max_delay: float,
) -> Attempt:
    """Start a run and SIGKILL it at a random moment after a random trigger.

    Half the kills count their delay from the run's first helpdesk request (anywhere in the
    run), half from its first write request (``update_many`` or a single-ticket PUT on Zendesk,
    a ticket's PUT on Freshdesk, an incident's PATCH on ServiceNow), with a shorter delay, so
    that many land while a job is queued, polled or being recorded.
    """
    after_write = rng.random() < 0.5
    delay = rng.uniform(0.0, max_delay / 4 if after_write else max_delay)
    attempt = Attempt(index, trigger="write" if after_write else "start", delay=round(delay, 3))
    writes = write_requests(desk)
    talked, wrote = _requests(desk), _requests(desk, writes)
    child = start_run(env, work, work / "runs.log")
    try:
        attempt.started_talking = wait_for(lambda: _requests(desk) > talked, child)
        if after_write:
            wait_for(lambda: _requests(desk, writes) > wrote, child, 60.0)
        try:
            attempt.exit_code = child.wait(timeout=attempt.delay)
        except subprocess.TimeoutExpired:
            attempt.jobs_pending = int(desk.stats().get("jobs_pending", 0))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            attempt.killed = True
    finally:
        if child.poll() is None:  # an exception above: never leave a child behind
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    attempt.writes_in_flight = inflight_tickets(work)
    attempt.tickets_done = done_count(desk)
    return attempt


def finish(env: dict[str, str], work: Path, report: Report, limit: int = 3) -> None:
    """Let runs finish, as cron would: another only after one that left work on purpose."""
    for _ in range(limit):
        child = start_run(env, work, work / "runs.log")
        try:
            code = child.wait(timeout=FINAL_RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            code = -int(signal.SIGKILL)
        report.final_runs.append(code)
        if code != 0 or not _left_for_later(work):
            return


def _left_for_later(work: Path) -> bool:
    """Did the last run stop reading on purpose (export limit, caught up with itself)?"""
    # Read as report and health read: a line a kill cut short is skipped, not an error.
    events = list(read_events(work / "logs"))
    starts = [e for e in events if e.get("event") == "run_started"]
    if not starts:
        return False
    mine = [e for e in events if e.get("run_id") == starts[-1].get("run_id")]
    on_purpose = ("discover_paused", "discover_limit", "discover_caught_up")
    return any(e.get("event") in on_purpose for e in mine) or any(
        e.get("event") == "run_finished" and e.get("stopped_early") for e in mine
    )


# --- the campaign ------------------------------------------------------------------------------


def campaign(
    settings: CampaignSettings,
    work: Path,
    *,
    on_attempt: Callable[[Attempt], None] = lambda attempt: None,
) -> Report:
    """Seed, kill ``settings.kills`` runs, let one finish, check every ticket."""
    if sys.platform == "win32":
        raise SystemExit("crash_test needs SIGKILL (POSIX)")
    started = time.monotonic()
    rng = random.Random(settings.seed)
    report = Report(settings)
    standin_config = StandinConfig(latency_s=settings.llm_latency, seed=settings.seed)
    with (
        serve_desk(
            KINDS[settings.helpdesk],
            seed=settings.seed,
            unlimited=True,
            job_delay_ms=settings.job_delay_ms,
        ) as desk,
        serve_standin(standin_config) as standin,
    ):
        original = seed_backlog(desk, settings.tickets, rng)
        env = child_env(desk, standin, work, settings.workers)
        while len(report.attempts) < settings.kills * 3 and report.kills < settings.kills:
            attempt = kill_one(len(report.attempts) + 1, desk, env, work, rng, settings.max_delay)
            standin.received.clear()  # it keeps every request body; we do not need them
            report.attempts.append(attempt)
            on_attempt(attempt)
            for tid in duplicate_notes(desk):
                report.violations.append(f"ticket {tid}: a second note after kill #{attempt.index}")
            if attempt.tickets_done == len(original):
                break  # nothing left for a kill to interrupt
        finish(env, work, report)
        # Jobs a killed run left queued have run by now (the final run waited for them).
        report.tickets_checked = len(original)
        report.violations += check_helpdesk(desk, original)
    report.violations = list(dict.fromkeys(report.violations))
    report.seconds = time.monotonic() - started
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = CampaignSettings()
    parser = command_parser("crash_test")
    parser.add_argument("--kills", type=int, default=defaults.kills, help="runs to kill")
    parser.add_argument("--tickets", type=int, default=defaults.tickets, help="backlog size")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of every RNG")
    parser.add_argument(
        "--llm-latency", type=float, default=defaults.llm_latency, help="stand-in LLM seconds"
    )
    parser.add_argument("--workers", type=int, default=defaults.workers, help="TICKETBOT_WORKERS")
    parser.add_argument(
        "--max-delay",
        type=float,
        default=defaults.max_delay,
        help="latest kill, in seconds after the run's first helpdesk request",
    )
    parser.add_argument(
        "--job-delay-ms", type=float, default=defaults.job_delay_ms, help="sandbox job delay"
    )
    parser.add_argument("--helpdesk", choices=list(KINDS), default="zendesk", help="the sandbox")
    parser.add_argument("--keep", type=Path, help="keep the state, logs and run output here")
    return parser.parse_args(argv)


def crash_test(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.kills < 1 or args.tickets < 1:
        raise SystemExit("--kills and --tickets must be at least 1")
    settings = CampaignSettings(
        kills=args.kills,
        tickets=args.tickets,
        seed=args.seed,
        llm_latency=args.llm_latency,
        workers=args.workers,
        max_delay=args.max_delay,
        job_delay_ms=args.job_delay_ms,
        helpdesk=args.helpdesk,
    )

    def progress(attempt: Attempt) -> None:
        what = "killed" if attempt.killed else f"exited {attempt.exit_code}"
        print(
            f"run {attempt.index:>3}: {what} {attempt.delay:.2f}s after its first "
            f"{'request' if attempt.trigger == 'start' else 'write'}, "
            f"journal {attempt.writes_in_flight}, jobs pending {attempt.jobs_pending}, "
            f"done {attempt.tickets_done}",
            file=sys.stderr,
            flush=True,
        )

    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        report = campaign(settings, args.keep, on_attempt=progress)
    else:
        with tempfile.TemporaryDirectory(prefix="ticketbot-crash-") as tmp:
            report = campaign(settings, Path(tmp), on_attempt=progress)
    print("\n".join(report.lines()))
    if report.violations:
        return 1
    if not report.final_ok:
        return 2
    if report.kills < settings.kills:
        print(
            f"only {report.kills} kills: the backlog was done before the last one; "
            "use more --tickets or a slower --llm-latency"
        )
        return 3
    return 0
