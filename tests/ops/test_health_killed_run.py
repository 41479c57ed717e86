"""``health`` right after a run was killed (SIGKILL, as ``kill -9`` or the out-of-memory killer
sends it) says so: the last-run row is degraded and names the run and what happens next, and the
success rate counts the tickets the killed run logged and says it does. Before, the row read the
run before it ("ok") and the rate left the killed run's tickets out without a word.

Real processes on each helpdesk's sandbox: one run finishes, a second is killed while the LLM
stand-in is slow, then ``health``; a third run finishes and the row is healthy again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support.cli import as_process
from support.e2e import events

from ticket_processor.ops.health_verdicts import last_run_check, success_check
from ticket_processor.report.runs import LoggedRun, summarise_runs
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.desk(configure=True)


def ticketbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return as_process(tmp_path, *args)


def health(tmp_path: Path) -> dict[str, dict[str, str]]:
    done = ticketbot(tmp_path, "health", "--json")
    assert done.stdout, done.stderr
    return {c["name"]: c for c in json.loads(done.stdout)["checks"]}


def tickets(count: int, start: int = 0) -> list[NewTicket]:
    return [
        NewTicket(f"Refund for order {n}", f"Order {n} arrived broken, please refund it")
        for n in range(start, start + count)
    ]


def triaged_by(log_dir: Path, run_id: str) -> int:
    return sum(
        1 for e in events(log_dir) if e["event"] == "ticket_triaged" and e["run_id"] == run_id
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_health_after_a_killed_run_names_it_and_counts_its_tickets(
    desk: Desk, standin: RunningStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    logs = tmp_path / "logs"
    desk.create(tickets(3))
    first = ticketbot(tmp_path, "run", "--engine", "rules")
    assert first.returncode == 0, first.stderr
    assert health(tmp_path)["last run"]["status"] == "healthy"

    desk.create(tickets(40, start=3))
    standin.config.latency_s = 1.0  # two at a time: the backlog outlasts the wait below
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "run", "--workers", "2"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "killed.err").open("wb"),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 300
        killed = None
        while killed is None or triaged_by(logs, killed) < 2:
            assert process.poll() is None, (tmp_path / "killed.err").read_text()
            assert time.monotonic() < deadline, (tmp_path / "killed.err").read_text()
            started = [e["run_id"] for e in events(logs) if e["event"] == "run_started"]
            killed = started[-1] if len(started) == 2 else None
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    logged = triaged_by(logs, killed)
    assert not [e for e in events(logs) if e["event"] == "run_finished" and e["run_id"] == killed]

    checks = health(tmp_path)
    last = checks["last run"]
    assert last["status"] == "degraded", last
    assert killed in last["reason"]
    assert "logged no end" in last["reason"]
    assert "next run finishes" in last["reason"]
    rate = checks["success rate"]
    assert f"of {3 + logged} tickets" in rate["reason"], (logged, rate)
    assert killed in rate["reason"]

    standin.config.latency_s = 0.0
    after = ticketbot(tmp_path, "run", "--engine", "rules")
    assert after.returncode == 0, after.stderr
    assert health(tmp_path)["last run"]["status"] == "healthy"


NOW = datetime(2026, 11, 27, 21, 12, tzinfo=UTC)


def ended(run_id: str, minutes_ago: float, **kw: Any) -> LoggedRun:
    moment = NOW - timedelta(minutes=minutes_ago)
    return LoggedRun(run_id, moment, moment, "ok", **kw)


def no_end(run_id: str, minutes_ago: float, **kw: Any) -> LoggedRun:
    return LoggedRun(run_id, NOW - timedelta(minutes=minutes_ago), None, None, **kw)


def test_only_a_run_killed_after_the_last_finished_one_degrades_the_last_run() -> None:
    state = {"finished_at": (NOW - timedelta(minutes=11)).isoformat(), "status": "ok"}
    killed = no_end("killed", 1, triaged=173, failed=1)
    check = last_run_check(state, [ended("before", 12, triaged=3), killed], now=NOW)
    assert check.status == "degraded"
    assert "run killed started 1 min ago" in check.reason
    assert "its log holds 173 triaged, 1 failed" in check.reason
    # The next run finished since: it took over what the killed one owed.
    after = [ended("before", 12), no_end("killed", 9), ended("next", 1)]
    assert last_run_check(None, after, now=NOW).status == "healthy"
    # A run going (the run lock's live holder), a dry run and a serve session are not killed.
    for going in (
        no_end("going", 1, running=True),
        no_end("dry", 1, dry_run=True),
        no_end("session", 1, served=True),
    ):
        assert last_run_check(state, [ended("before", 12), going], now=NOW).status == "healthy"


def test_the_success_rate_counts_the_tickets_a_killed_run_logged_and_says_so() -> None:
    runs = [ended("a", 30, triaged=10), no_end("b", 20, triaged=5, failed=5), ended("c", 2)]
    check = success_check(runs, objective=0.95)
    assert "75.0% of 20 tickets in the last 3 runs" in check.reason
    assert "run b logged no end" in check.reason
    assert check.status == "degraded"
    # A run still going is counted once it ends.
    going = [ended("a", 30, triaged=10), no_end("b", 1, triaged=5, failed=5, running=True)]
    assert success_check(going, objective=0.95).reason == "100.0% of 10 tickets in the last run"


def test_a_killed_runs_failures_are_read_from_its_tickets_events() -> None:
    stamp = NOW.isoformat()
    [run] = summarise_runs(
        [
            {"ts": stamp, "run_id": "k", "event": "run_started"},
            {"ts": stamp, "run_id": "k", "event": "ticket_triaged", "engine": "llm"},
            {"ts": stamp, "run_id": "k", "event": "ticket_failed"},
        ]
    )
    assert (run.status, run.triaged, run.failed) == (None, 1, 1)
