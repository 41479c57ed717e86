"""kill -9 mid-run loses no decision that reached the helpdesk: runs in child processes are
killed while they write, on each helpdesk, and every ticket that carries ticketbot's note has
its decision in the audit store (stored before its write began); the store stays whole. A
decision a killed run had not heard the answer to stays ``planned``: only killed runs leave
those."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from support.e2e import script_module

from ticket_processor.audit.queries import DecisionFilter, DecisionQuery
from ticket_processor.audit.store import FILE_NAME, AuditStore
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, serve_desk
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]
KILLS = 3
TICKETS = 90


@pytest.fixture(scope="module")
def crash_test() -> ModuleType:
    return script_module("drills")


def noted(desk: Desk) -> set[int]:
    return {i for i in desk.ids() if desk.snapshot(i).notes}


def stored_tickets(state: Path, account: str, **where: object) -> set[int]:
    with AuditStore.open(None, state_dir=state, account=account) as store:
        found: set[int] = set()
        offset = 0
        while True:
            page = store.list_decisions(
                DecisionQuery(DecisionFilter(**where), limit=500, offset=offset)  # type: ignore[arg-type]
            )
            found |= {row.ticket_id for row in page.rows}
            if not page.has_more:
                return found
            offset += 500


def settle(desk: Desk) -> None:
    """Jobs a killed run queued still run in the sandbox: wait until none is pending."""
    deadline = time.monotonic() + 20
    while int(desk.stats().get("jobs_pending", 0)) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.parametrize("helpdesk", list(KINDS))
def test_killed_runs_lose_no_decision_that_was_written(
    crash_test: ModuleType, tmp_path: Path, helpdesk: str
) -> None:
    rng = random.Random(5)
    state = tmp_path / "state"
    account = f"{helpdesk}:127.0.0.1"
    with (
        serve_desk(KINDS[helpdesk], seed=5, unlimited=True, job_delay_ms=50) as desk,
        serve_standin(StandinConfig(latency_s=0.1, seed=5)) as standin,
    ):
        crash_test.seed_backlog(desk, TICKETS, rng)
        env = crash_test.child_env(desk, standin, tmp_path, 2)
        kills = 0
        for _ in range(KILLS * 3):
            before = len(noted(desk))
            child = crash_test.start_run(env, tmp_path, tmp_path / "runs.log")
            try:
                # Kill while it writes: after its first new note, then a little later.
                crash_test.wait_for(lambda: len(noted(desk)) > before, child, 60.0)  # noqa: B023
                try:
                    child.wait(timeout=rng.uniform(0.0, 0.4))
                except subprocess.TimeoutExpired:
                    os.kill(child.pid, signal.SIGKILL)
                    kills += 1
            finally:
                if child.poll() is None:
                    os.kill(child.pid, signal.SIGKILL)
                child.wait()
            settle(desk)
            written = noted(desk)
            lost = written - stored_tickets(state, account)
            assert not lost, f"kill #{kills}: written to the helpdesk, not in the store: {lost}"
            with sqlite3.connect(state / FILE_NAME) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            if kills == KILLS or len(written) == TICKETS:
                break
        assert kills == KILLS, "the backlog ran out before every kill: give it more tickets"
        crash_test.finish(env, tmp_path, crash_test.Report(crash_test.CampaignSettings()))
        settle(desk)
        assert noted(desk) == set(desk.ids())
    assert stored_tickets(state, account) == set(desk.ids())
    # A decision still "planned" is one a killed run wrote (or was writing) when it died.
    with AuditStore.open(None, state_dir=state, account=account) as store:
        runs = {run.run_id: run for run in store.recent_runs(limit=100)}
        planned = store.list_decisions(
            DecisionQuery(DecisionFilter(status="planned"), limit=500)
        ).rows
    killed = {run_id for run_id, run in runs.items() if run.finished_at is None}
    assert len(killed) == KILLS
    assert {row.run_id for row in planned} <= killed
