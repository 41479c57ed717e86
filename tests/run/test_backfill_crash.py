"""A kill -9 between a backfill's submit and its collect loses nothing.

``python -m ticket_processor backfill`` as a real child process against a helpdesk sandbox and
the LLM stand-in's Batch API (both in this process, on port 0), SIGKILLed twice: as soon as the
stand-in holds the batch (submit time: the batch id may or may not have reached the ledger),
and once the collect run has sent its first write to the helpdesk (mid write-back, with the
write in the journal and, on Zendesk, its job still running). Later runs
then finish the backfill, and every ticket has exactly one note and its tags.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx2
import orjson
import pytest
from support.e2e import script_module

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.tags import marker_tag

TICKETS = 24

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@pytest.fixture(scope="module")
def crash_test() -> ModuleType:
    """The crash campaign's child-process helpers (environment, waiting for a moment)."""
    return script_module("drills")


@pytest.fixture
def slow_llm() -> Iterator[RunningStandin]:
    with serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as running:
        yield running


def backlog() -> list[NewTicket]:
    subjects = ["Refund for order", "Cannot log in", "Parcel late", "Charged twice"]
    return [
        NewTicket(f"{subjects[n % 4]} {n}", f"Ticket {n}: please help, it is urgent.")
        for n in range(TICKETS)
    ]


def batches(standin: RunningStandin) -> int:
    return len(httpx2.get(f"{standin.url}/batches", params={"limit": 100}).json()["data"])


def start(env: dict[str, str], work: Path, *flags: str) -> subprocess.Popen[bytes]:
    with (work / "child.log").open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "ticket_processor", "backfill", "--since", "7d", *flags],
            env=env,
            cwd=work,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def kill_when(crash_test: ModuleType, child: subprocess.Popen[bytes], condition: object) -> bool:
    """SIGKILL the child the moment ``condition`` holds; False if it ended first."""
    reached = crash_test.wait_for(condition, child, timeout=30.0)
    if child.poll() is None:
        os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    return bool(reached)


def finish(env: dict[str, str], work: Path) -> str:
    """Run ``backfill`` until it says it is complete (each run must exit 0)."""
    said = ""
    for _ in range(4):
        done = backfill_child(env, work)
        said += done.stdout + done.stderr
        assert done.returncode == 0, said
        if "backfill complete" in done.stdout:
            return said
    raise AssertionError(f"the backfill never completed:\n{said}")


def backfill_child(env: dict[str, str], work: Path) -> subprocess.CompletedProcess[str]:
    """``ticketbot backfill`` as a process of its own, as cron starts it."""
    return subprocess.run(
        [sys.executable, "-m", "ticket_processor", "backfill"],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_backfill_killed_at_submit_and_mid_collect_writes_every_ticket_once(
    crash_test: ModuleType, slow_llm: RunningStandin, tmp_path: Path, kind: str
) -> None:
    # Zendesk's jobs take a moment, so the kill lands with a job in flight (the journal's case).
    with serve_desk(KINDS[kind], unlimited=True, job_delay_ms=300) as desk:
        ids = desk.create(backlog())
        env = crash_test.child_env(desk, slow_llm, tmp_path, workers=4)
        state = tmp_path / "state"

        # 1. Killed at submit time: as soon as the stand-in holds the batch.
        assert kill_when(crash_test, start(env, tmp_path), lambda: batches(slow_llm) >= 1)
        recorded = (state / "backfill.json").is_file() and orjson.loads(
            (state / "backfill.json").read_bytes()
        ).get("batch")
        assert all(desk.snapshot(i).notes == [] for i in ids)

        # 2. The next run resubmits what was not recorded, or finds the batch still running.
        said = finish_or_wait(env, tmp_path)
        assert ("submitted batch" in said) != bool(recorded), said
        assert slow_llm.complete_batches() >= 1

        # 3. Killed mid write-back: once the collect run's first write reached the desk (and,
        # where writes are jobs (Zendesk's), its job was recorded: the job is still running
        # when the kill lands).
        write = desk.ops["write"]

        def mid_write() -> bool:
            sent = crash_test._requests(desk, write) > 0
            return sent and ("job" not in desk.ops or jobs_recorded(state))

        assert kill_when(crash_test, start(env, tmp_path), mid_write), (
            tmp_path / "child.log"
        ).read_text()
        assert crash_test.inflight_tickets(tmp_path) > 0  # killed with writes in flight

        # 4. Later runs finish: every ticket written once, with its tags.
        finish(env, tmp_path)
        check(desk, ids)
        assert not (state / "backfill.json").exists()


def jobs_recorded(state: Path) -> bool:
    try:
        return bool(orjson.loads((state / "jobs.json").read_bytes())["jobs"])
    except (OSError, ValueError, KeyError, TypeError):
        return False


def finish_or_wait(env: dict[str, str], work: Path) -> str:
    done = backfill_child(env, work)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check(desk: Desk, ids: list[int]) -> None:
    problems = []
    marker = marker_tag("ai_")
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        if len(snap.notes) != 1:
            problems.append(f"ticket {ticket_id}: {len(snap.notes)} notes")
        if marker not in snap.tags or not any(t.startswith("ai_category_") for t in snap.tags):
            problems.append(f"ticket {ticket_id}: tags {snap.tags}")
    assert problems == [], problems


@pytest.mark.slow
def test_sigterm_stops_a_backfill_on_the_normal_path_with_its_progress_saved(
    crash_test: ModuleType, tmp_path: Path
) -> None:
    with (
        serve_desk(KINDS["zendesk"], unlimited=True) as desk,
        # One worker at 0.3 s a call: 24 tickets take ~7 s, the first write comes within ~1-2 s,
        # so the stop lands with most of the backlog still to do, however fast the machine.
        serve_in_thread(StandinConfig(seed=7, latency_s=0.3, batch_api=False)) as llm,
    ):
        ids = desk.create(backlog())
        env = crash_test.child_env(desk, llm, tmp_path, workers=1)
        child = start(env, tmp_path)
        write = desk.ops["write"]
        assert crash_test.wait_for(lambda: crash_test._requests(desk, write) > 0, child, 30.0)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=30) == 143, (tmp_path / "child.log").read_text()
        assert "run `ticketbot backfill` again" in (tmp_path / "child.log").read_text()
        assert any(not desk.snapshot(i).notes for i in ids)  # stopped before the end

        finish(env, tmp_path)
        check(desk, ids)
