"""A run reverted once and asked again: the second revert says the tickets were reverted
already, not that someone changed them (a new user was told agents had changed all ten)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

TICKETS = [
    NewTicket("Refund", "Please refund my order, it arrived broken."),
    NewTicket("Export", "How do I export my data as CSV?"),
]


def test_a_second_revert_says_the_run_was_reverted_already(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(TICKETS)
    ran = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    [run_id] = [e["run_id"] for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    done = invoke("revert", "--run", run_id)
    assert done.exit_code == 0, done.output
    again = invoke("revert", "--run", run_id, "--dry-run")
    assert again.exit_code == 0, again.output
    assert (
        f"0 to revert, {len(ids)} already reverted by an earlier revert, "
        "0 already changed by someone since, 0 gone"
    ) in again.output
