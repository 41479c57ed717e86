"""``ticketbot report`` lists a ``serve`` session whose process is alive as ``running`` (it has
no ``run_finished`` while it serves), and as ``unfinished`` once that process is gone without
one (killed): the serve lock in the state directory names the live process. Before, a serving
session read "unfinished (serve)", as if it had died."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.cli import invoke
from support.e2e import events
from support.serving import serve_env, serve_process

from ticket_processor.report.runs import LockHolders, LoggedRun, mark_running
from ticket_processor.sandbox.desks import Desk


def _session_outcome(env: dict[str, str], logs: Path) -> Any:
    [session] = {
        e["run_id"]
        for e in events(logs)
        if e.get("source") == "serve" and e.get("event") == "run_started"
    }
    report = invoke("report", "--json", "--since", "1d", env=env)
    assert report.exit_code == 0, report.output
    [listed] = [r for r in orjson.loads(report.stdout)["run_list"] if r["run_id"] == session]
    assert listed["serve"] is True
    return listed["outcome"]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.desk(seed=None, unlimited=True)
def test_a_live_serve_session_is_running_and_a_killed_one_unfinished(
    desk: Desk, tmp_path: Path
) -> None:
    env = serve_env(desk.env(), tmp_path)
    process, _ = serve_process(env, tmp_path / "serve.err")
    try:
        deadline = time.monotonic() + 120  # the session starts once the engines are loaded
        while not any(
            e.get("source") == "serve" and e.get("event") == "run_started"
            for e in events(tmp_path / "logs")
        ):
            assert time.monotonic() < deadline, (tmp_path / "serve.err").read_text()
            time.sleep(0.1)
        assert _session_outcome(env, tmp_path / "logs") == "running"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert _session_outcome(env, tmp_path / "logs") == "unfinished"


def test_only_the_newest_session_since_the_live_lock_runs() -> None:
    from datetime import UTC, datetime, timedelta

    lock = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    old = LoggedRun("killed", lock - timedelta(hours=1), None, None, served=True)
    live = LoggedRun("live", lock + timedelta(seconds=2), None, None, served=True)
    cron = LoggedRun("cron", lock + timedelta(seconds=5), None, None)  # a run still going
    marked = mark_running([old, live, cron], LockHolders(serve=lock))
    assert [r.outcome for r in marked] == ["unfinished", "running", "unfinished"]
    assert [r.outcome for r in mark_running([old, live, cron], LockHolders())] == ["unfinished"] * 3


def test_a_run_is_running_only_while_the_run_lock_it_took_is_held() -> None:
    """The run lock tells a cron run still going from one killed: the holder alive took the
    lock at or before the newest unfinished run's start; an older unfinished run died, and a
    serve session is told by the serve lock, not this one."""
    from datetime import UTC, datetime, timedelta

    lock = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    killed = LoggedRun("killed", lock - timedelta(hours=1), None, None)
    going = LoggedRun("going", lock + timedelta(seconds=1), None, None)
    session = LoggedRun("session", lock + timedelta(seconds=3), None, None, served=True)
    marked = mark_running([killed, going, session], LockHolders(run=lock))
    assert [r.outcome for r in marked] == ["unfinished", "running", "unfinished"]
    # A review took the lock after the killed run started: that run is not brought back.
    later = LockHolders(run=lock + timedelta(hours=2))
    assert [r.outcome for r in mark_running([killed, going], later)] == ["unfinished"] * 2


def test_a_cron_run_going_is_running_in_the_runs_and_their_counts(tmp_path: Path) -> None:
    """A run's lock held by a live process (this one) makes the newest unfinished run since
    "running", in the runs table and in the runs by outcome alike; a run killed before stays
    "unfinished"."""
    from ticket_processor.common.eventlog import EventLog
    from ticket_processor.state.lock import RunLock

    env = {
        "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
        "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
    }
    killed = EventLog(tmp_path / "logs", run_id="killed")
    killed.emit("run_started", dry_run=False)
    killed.close()
    time.sleep(2.1)  # the lock's time is to the second: the killed run started before it
    with RunLock(tmp_path / "state"):
        going = EventLog(tmp_path / "logs", run_id="going")
        going.emit("run_started", dry_run=False)
        going.close()
        report = invoke("report", "--json", "--since", "1d", env=env)
    assert report.exit_code == 0, report.output
    found = orjson.loads(report.stdout)
    outcomes = {r["run_id"]: r["outcome"] for r in found["run_list"]}
    assert outcomes == {"killed": "unfinished", "going": "running"}
    assert found["run_status"] == {"unfinished": 1, "running": 1}
