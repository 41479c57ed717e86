"""A run killed with SIGKILL while its writes are in flight: every write it made is recorded.

A real ``ticketbot run`` (a child process) on each helpdesk's sandbox is killed once some of
its tickets are logged and its write journal holds writes; its jobs land on their own; a second
run settles the journal. Then every ticket written to the helpdesk is, once, a ``written``
decision in the audit store, in exactly one run's ``revert --dry-run`` plan (the killed run's
for the writes it made: revert undoes everything a run wrote), on the dashboard as written,
counted by ``audit info``; the killed run is listed with every write it made (``audit info``,
the dashboard's last runs), and the second run says whose writes it recorded.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from support.e2e import script_module

from ticket_processor.audit.queries import DecisionFilter, DecisionQuery
from ticket_processor.audit.store import AuditStore
from ticket_processor.common.eventlog import read_events
from ticket_processor.dashboard.filters import ListQuery
from ticket_processor.dashboard.queries import ticket_list
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk, serve_desk
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]
# Enough tickets that the kill finds Zendesk's 100-ticket jobs (Freshdesk's and ServiceNow's
# 10-ticket batches) in flight with some of the run's tickets logged and more to come.
TICKETS = {"zendesk": 300, "freshdesk": 150, "servicenow": 150}
LOGGED_BEFORE_KILL = {"zendesk": 40, "freshdesk": 30, "servicenow": 30}
MARKER = "ai_processed"


@pytest.fixture(scope="module")
def drills() -> ModuleType:
    return script_module("drills")


def events(work: Path) -> list[dict[str, object]]:
    # As report reads them: a line the kill cut short is skipped (and ended by the next run).
    return list(read_events(work / "logs"))


def logged(work: Path) -> int:
    if not (work / "logs").exists():
        return 0
    return sum(e.get("event") == "ticket_triaged" for e in events(work))


def marked(desk: Desk) -> set[int]:
    return {i for i in desk.ids() if MARKER in desk.snapshot(i).tags}


def ticketbot(env: dict[str, str], work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ticket_processor", *args],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
    )


def written_decisions(state: Path, account: str) -> list[tuple[str, int]]:
    with AuditStore.open(None, state_dir=state, account=account) as store:
        found: list[tuple[str, int]] = []
        offset = 0
        while True:
            page = store.list_decisions(
                DecisionQuery(DecisionFilter(status="written"), limit=500, offset=offset)
            )
            found += [(row.run_id, row.ticket_id) for row in page.rows]
            if not page.has_more:
                return found
            offset += 500


def dashboard_statuses(state: Path, account: str) -> dict[int, str]:
    """Each ticket's status as the dashboard's ticket list shows it (its current decision)."""
    with AuditStore.open(None, state_dir=state, account=account) as store:
        found: dict[int, str] = {}
        with store.engine.connect() as conn:
            page = 1
            while True:
                listed = ticket_list(conn, ListQuery(per_page=100, page=page), account=account)
                found.update({row.ticket_id: row.status for row in listed.rows})
                if page * 100 >= listed.total:
                    return found
                page += 1


def revert_plan(env: dict[str, str], work: Path, run_id: str) -> set[int]:
    done = ticketbot(env, work, "revert", "--run", run_id, "--dry-run")
    assert done.returncode == 0, done.stderr
    return {int(n) for n in re.findall(r"^ticket (\d+):", done.stdout, re.MULTILINE)}


@pytest.mark.parametrize("helpdesk", list(KINDS))
def test_a_killed_runs_landed_writes_are_recorded_as_its_own(
    drills: ModuleType, tmp_path: Path, helpdesk: str
) -> None:
    state = tmp_path / "state"
    account = f"{helpdesk}:127.0.0.1"
    with (
        # Jobs land 0.4 s after they are queued: the kill finds some queued, some landed and
        # not yet heard of, as a real helpdesk under load.
        serve_desk(KINDS[helpdesk], seed=3, unlimited=True, job_delay_ms=400) as desk,
        serve_standin(StandinConfig(latency_s=0.02, seed=3)) as standin,
    ):
        drills.seed_backlog(desk, TICKETS[helpdesk], random.Random(3))
        env = drills.child_env(desk, standin, tmp_path, 8)
        child = drills.start_run(env, tmp_path, tmp_path / "killed.log")
        try:
            in_flight = drills.wait_for(
                lambda: (
                    logged(tmp_path) >= LOGGED_BEFORE_KILL[helpdesk]
                    and drills.inflight_tickets(tmp_path) > 0
                ),
                child,
                300.0,
            )
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        assert in_flight, "the run ended before its kill: give it more tickets"
        assert drills.inflight_tickets(tmp_path) > 0
        killed = str(next(e["run_id"] for e in events(tmp_path) if e["event"] == "run_started"))
        deadline = time.monotonic() + 60
        while int(desk.stats().get("jobs_pending", 0)) and time.monotonic() < deadline:
            time.sleep(0.05)  # the killed run's queued jobs land on their own

        second = ticketbot(env, tmp_path, "run")
        assert second.returncode == 0, second.stderr
        # The user is told whose the finished writes are, and how to undo them.
        assert f"recorded as written by {killed}" in second.stderr, second.stderr
        assert f"revert --run {killed}" in second.stderr
        written = marked(desk)
        assert written == set(desk.ids())
        assert drills.duplicate_notes(desk) == []
        finishing = str([e["run_id"] for e in events(tmp_path) if e["event"] == "run_started"][-1])

        # Every write is one run's written decision, once.
        decisions = written_decisions(state, account)
        assert sorted(t for _, t in decisions) == sorted(written)
        assert {r for r, _ in decisions} == {killed, finishing}
        killed_wrote = {t for r, t in decisions if r == killed}
        # The killed run made more writes than it lived to log where writes are jobs (a job
        # lands on its own after the kill; a ticket's own write is in flight only as long as
        # its request).
        killed_logged = {
            e["ticket_id"]
            for e in events(tmp_path)
            if e["event"] == "ticket_triaged" and e["run_id"] == killed and "recovered_by" not in e
        }
        assert killed_logged < killed_wrote or "job" not in desk.ops

        # Each run's revert plan holds exactly what it wrote; together, every write.
        assert revert_plan(env, tmp_path, killed) == killed_wrote
        assert revert_plan(env, tmp_path, finishing) == written - killed_wrote

        # The dashboard shows every ticket written, none planned; ``audit info`` counts them.
        statuses = dashboard_statuses(state, account)
        assert statuses == dict.fromkeys(written, "written")
        info = ticketbot(env, tmp_path, "audit", "info")
        assert info.returncode == 0, info.stderr
        assert re.search(rf"^writes: {len(written)}$", info.stdout, re.MULTILINE), info.stdout
        # The killed run is named as one with no end, with every write it made, there and in
        # the dashboard's last runs.
        assert f"{killed} ({len(killed_wrote)} triaged)" in info.stdout, info.stdout
        with AuditStore.open(None, state_dir=state, account=account) as store:
            last_runs = {run.run_id: run for run in store.recent_runs()}
        assert last_runs[killed].finished_at is None
        assert last_runs[killed].triaged == len(killed_wrote)

        # Nothing is left in flight: the next run has nothing to finish.
        third = ticketbot(env, tmp_path, "run")
        assert third.returncode == 0, third.stderr
        assert "interrupted run" not in third.stderr
