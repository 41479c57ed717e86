"""After a hard stop, the next run (or backfill) says what it is finishing before it does it.

A run killed with ``kill -9`` leaves its writes journalled as in flight; the next run settles
them before it reads new tickets, which can take many seconds (a job to poll, each ticket's
notes to read). It says so at once on stderr, and in the log before ``run_recovered``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import command
from support.e2e import events

from ticket_processor.run.discovery import recovery_notice
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.state.ledger import RunLedger

pytestmark = pytest.mark.desk(seed=None, configure=True)

run = command("run")


def test_the_run_after_a_hard_stop_says_what_it_is_finishing(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create([NewTicket(f"Refund {n}", f"Order {n}: my money back.") for n in range(3)])
    # What a run killed between journalling its writes and confirming them leaves behind.
    RunLedger(tmp_path / "state").begin(ids)

    result = run("--engine", "rules")

    assert result.exit_code == 0, result.output
    assert "finishing 3 writes of the interrupted run" in result.output
    names = [e["event"] for e in events(tmp_path / "logs")]
    assert names.index("run_recovering") < names.index("run_recovered")
    for ticket_id in ids:
        assert len(desk.snapshot(ticket_id).notes) == 1, ticket_id


def test_a_run_with_nothing_to_finish_says_nothing_of_it(desk: Desk) -> None:
    desk.create([NewTicket("Refund", "Order 1: my money back.")])
    result = run("--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "interrupted run" not in result.output


def test_the_notice_counts_writes_and_jobs() -> None:
    assert recovery_notice(1, 0).startswith("finishing 1 write of the interrupted run:")
    assert "(2 helpdesk job(s) to look up)" in recovery_notice(295, 2)


backfill = command("backfill")


def test_a_backfill_after_a_hard_stop_says_what_it_is_finishing(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create([NewTicket(f"Refund {n}", f"Order {n}: my money back.") for n in range(2)])
    RunLedger(tmp_path / "state").begin(ids)

    result = backfill("--no-batch", "--since", "7d")

    assert result.exit_code == 0, result.output
    assert "finishing 2 writes of the interrupted run" in result.output
    names = [e["event"] for e in events(tmp_path / "logs")]
    assert names.index("run_recovering") < names.index("run_recovered")
    for ticket_id in ids:
        assert len(desk.snapshot(ticket_id).notes) == 1, ticket_id
