"""``--max-runtime`` is an upper bound on the whole run: the budget, then a grace of a tenth of
it (1 to 30 s) to flush what is in flight, then every wait ends.

Through the CLI against the sandboxes, with real time and small bounds (2 s: a grace of 1 s),
so the asserts are generous (the bound, its grace and a few seconds for a slow machine) but far
below what the run took before: a Zendesk job left queued was polled for 300 s (three jobs a
batch: 600 s), and a helpdesk that trickles held each call for its whole deadline.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import command
from support.e2e import audit_store_ready, events

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.resilience.deadline import run_grace
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=6, configure=True)

BUDGET = 2.0
SLACK = 4.0  # process start-up, the last socket operation, a loaded CI machine
BOUND = BUDGET + run_grace(BUDGET) + SLACK

run = command("run")


def backlog(desk: Desk, count: int, state_dir: Path) -> list[int]:
    audit_store_ready(state_dir)  # not a first run's schema inside the 2 s
    tickets = [NewTicket(f"Refund {n}", f"Order {n}: my money back.") for n in range(count)]
    return desk.create(tickets)


def finished(log_dir: Path) -> dict[str, Any]:
    found: dict[str, Any] = [e for e in events(log_dir) if e["event"] == "run_finished"][-1]
    return found


def zendesk_config(desk: Desk) -> SandboxConfig:
    config = desk.sandbox.config
    assert isinstance(config, SandboxConfig)
    return config


def timed_run(*args: str) -> tuple[Any, float]:
    started = time.monotonic()
    result = run("--engine", "rules", "--max-runtime", f"{BUDGET:g}", *args)
    return result, time.monotonic() - started


@pytest.mark.desk(kinds=("zendesk",), seed=6, configure=True)
def test_a_zendesk_job_left_queued_ends_the_run_in_its_bound_and_the_next_run_recovers_it(
    desk: Desk, tmp_path: Path
) -> None:
    ids = backlog(desk, 8, tmp_path / "state")
    config = zendesk_config(desk)
    config.hold_jobs = True

    first, took = timed_run()

    assert first.exit_code == 0, first.output
    assert took < BOUND, took
    summary = finished(tmp_path / "logs")
    assert summary["stopped_early"] == "max_runtime", summary
    assert (summary["triaged"], summary["failed"], summary["deferred"]) == (0, 0, len(ids))
    # The job is journalled for the next run; the cursor has not passed its tickets.
    jobs = json.loads((tmp_path / "state" / "jobs.json").read_text())["jobs"]
    assert sorted(i for held in jobs.values() for i in held) == sorted(ids)

    config.hold_jobs = False
    second, _ = timed_run()

    assert second.exit_code == 0, second.output
    log = events(tmp_path / "logs")
    assert [e["tickets"] for e in log if e["event"] == "run_recovered"] == [len(ids)]
    for ticket_id in ids:
        snapshot = desk.snapshot(ticket_id)
        assert "ai_processed" in snapshot.tags, ticket_id
        assert len(snapshot.notes) == 1, (ticket_id, snapshot.notes)  # the queued job's, once
    assert json.loads((tmp_path / "state" / "jobs.json").read_text())["jobs"] == {}


def test_a_slow_helpdesk_cannot_hold_the_run_past_its_bound(desk: Desk, tmp_path: Path) -> None:
    ids = backlog(desk, 12, tmp_path / "state")
    desk.sandbox.config.latency_ms = 700.0  # every request

    first, took = timed_run()

    assert first.exit_code == 0, first.output
    assert took < BOUND, took
    summary = finished(tmp_path / "logs")
    assert summary["stopped_early"] == "max_runtime", summary
    assert summary["failed"] == 0, summary
    assert summary["triaged"] < len(ids), summary  # it was cut short, not finished

    # The request the bound cut short is still being answered (700 ms) when the run exits: a
    # note it posts lands after that. The next run starts at once, and lets the writes the
    # first left unconfirmed land (the helpdesk's read timeout, 3 s here) before it looks for
    # them: its recovery, looking sooner, wrote a second note when that one landed after it.
    desk.sandbox.config.latency_ms = 0.0
    second = run("--engine", "rules", env={"TICKETBOT_HTTP_TIMEOUT": "3"})
    assert second.exit_code == 0, second.output
    log = events(tmp_path / "logs")
    if [e for e in log if e["event"] == "run_recovering"]:  # the bound left writes in flight
        [wait] = [e for e in log if e["event"] == "run_recovery_wait"]
        assert 0 < wait["seconds"] <= 3, wait
    for ticket_id in ids:
        snapshot = desk.snapshot(ticket_id)
        assert "ai_processed" in snapshot.tags, ticket_id
        assert len(snapshot.notes) == 1, (ticket_id, snapshot.notes)


@pytest.mark.desk(kinds=("zendesk",), seed=6, configure=True)
def test_a_trickling_helpdesk_cannot_hold_the_run_past_its_bound(
    desk: Desk, tmp_path: Path
) -> None:
    backlog(desk, 4, tmp_path / "state")
    zendesk_config(desk).trickle_seconds = 0.5  # headers at once, then a byte every 0.5 s

    first, took = timed_run()

    assert first.exit_code == 0, first.output
    assert took < BOUND, took
    summary = finished(tmp_path / "logs")
    assert summary["stopped_early"] == "max_runtime", summary
