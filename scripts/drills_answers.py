"""The answers' crash drill: exactly-once replies under kill -9, on every helpdesk."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from support.answers_desk import create_tickets, outbox, publish_help_centre, rows

from scripts import child_env, command_parser, run_dirs
from scripts.drills import FINAL_RUN_TIMEOUT
from ticket_processor.answers.book import AnswerBook
from ticket_processor.answers.vocab import SENT_OPENS
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, serve_desk

# answers_crash_test ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrashSettings:
    kills: int = 20
    seed: int = 7
    helpdesk: str = "zendesk"  # or any kind the registry lists
    latency_ms: float = 40.0  # the sandbox answers every request this late: sends last a while
    after_mail_delay: float = 0.3  # the most a kill timed from a mail waits after it
    max_delay: float = 3.0


@dataclass
class CrashReport:
    kills: int = 0
    killed_while_sending: int = 0
    replies: int = 0
    planned_left: int = 0
    violations: list[str] = field(default_factory=list)
    final_codes: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"kills: {self.kills} ({self.killed_while_sending} after the first reply was mailed)",
            f"replies mailed: {self.replies}; planned and not settled at the end: "
            f"{self.planned_left}; final runs' exit codes: {self.final_codes}",
            *(f"VIOLATION {v}" for v in self.violations),
        ]


def answers_child_env(desk: Desk, work: Path) -> dict[str, str]:
    return child_env(
        desk.env(), run_dirs(work), TICKETBOT_ANSWER_MODE="send", TICKETBOT_WORKERS="2"
    )


def answers_start_run(env: dict[str, str], work: Path) -> subprocess.Popen[bytes]:
    with (work / "runs.log").open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
            env=env,
            cwd=work,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def twice(desk: Desk) -> list[int]:
    counts = Counter(m["ticket_id"] for m in outbox(desk))
    return sorted(t for t, n in counts.items() if n > 1)


def answers_kill_one(
    desk: Desk, env: dict[str, str], work: Path, rng: random.Random, s: CrashSettings
) -> bool:
    """One run SIGKILLed at a random moment; True when it was killed after mailing a reply."""
    after_mail = rng.random() < 0.6
    mailed = len(outbox(desk))
    delay = rng.uniform(0.0, s.after_mail_delay if after_mail else s.max_delay)
    child = answers_start_run(env, work)
    try:
        if after_mail:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and child.poll() is None:
                if len(outbox(desk)) > mailed:
                    break
                time.sleep(0.005)
        try:
            child.wait(timeout=delay)
            return False
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            return len(outbox(desk)) > mailed
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()


def announced(desk: Desk, ticket_id: int) -> bool:
    return any(SENT_OPENS in note for note in desk.snapshot(ticket_id).notes)


def answers_campaign(s: CrashSettings, work: Path) -> CrashReport:
    if sys.platform == "win32":
        raise SystemExit("answers_crash_test needs SIGKILL (POSIX)")
    rng = random.Random(s.seed)
    report = CrashReport()
    with serve_desk(KINDS[s.helpdesk], seed=None, unlimited=True) as desk:
        publish_help_centre(desk)
        ids = create_tickets(desk, rows("answers_tickets.jsonl"))
        desk.sandbox.config.apply({"latency_ms": s.latency_ms})
        env = answers_child_env(desk, work)
        for _ in range(s.kills):
            report.killed_while_sending += answers_kill_one(desk, env, work, rng, s)
            report.kills += 1
            for ticket_id in twice(desk):
                report.violations.append(
                    f"ticket {ticket_id}: two replies after kill {report.kills}"
                )
        for _ in range(3):
            child = answers_start_run(env, work)
            try:
                report.final_codes.append(child.wait(timeout=FINAL_RUN_TIMEOUT))
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                report.final_codes.append(-9)
            if not AnswerBook(work / "state", read_only=True).planned():
                break
        mails = Counter(m["ticket_id"] for m in outbox(desk))
        report.replies = sum(mails.values())
        report.planned_left = len(AnswerBook(work / "state", read_only=True).planned())
        for ticket_id in ids:
            if mails[ticket_id] > 1:
                report.violations.append(f"ticket {ticket_id}: {mails[ticket_id]} replies")
            if announced(desk, ticket_id) and mails[ticket_id] != 1:
                report.violations.append(f"ticket {ticket_id}: announced, {mails[ticket_id]} sent")
        if report.planned_left:
            report.violations.append(f"{report.planned_left} planned replies never settled")
        if report.replies < 12:
            report.violations.append(f"only {report.replies} replies mailed in the end")
    report.violations = list(dict.fromkeys(report.violations))
    return report


def answers_crash_test(argv: list[str] | None = None) -> int:
    parser = command_parser("answers_crash_test")
    defaults = CrashSettings()
    parser.add_argument("--helpdesk", choices=list(KINDS), default=defaults.helpdesk)
    parser.add_argument("--kills", type=int, default=defaults.kills)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    import tempfile

    settings = CrashSettings(kills=args.kills, seed=args.seed, helpdesk=args.helpdesk)
    with tempfile.TemporaryDirectory(prefix="answers-crash-") as tmp:
        report = answers_campaign(settings, Path(tmp))
    print("\n".join(report.lines()))
    return 1 if report.violations else 0
