"""A first run (no cursor yet) reads the last 24 hours and says how many older open tickets it
leaves, and how to take them; later runs say nothing of it. Both helpdesks, through the CLI."""

from __future__ import annotations

import time

import pytest
from support.cli import invoke
from support.clock import FakeClock

from ticket_processor.sandbox.desks import Desk, NewTicket


@pytest.mark.desk(clock="desk_clock", configure=True)
@pytest.mark.desk_clock(back=3 * 86400)  # the older tickets' day
def test_a_first_run_says_how_many_older_open_tickets_it_leaves(
    desk: Desk, desk_clock: FakeClock
) -> None:
    desk.create([NewTicket("Old refund", "Refund me, please."), NewTicket("Old bug", "Crash.")])
    desk_clock.now = float(int(time.time()))
    desk.create([NewTicket("New refund", "Where is my refund?")])

    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    said = " ".join(first.stderr.split())
    assert "2 open ticket(s) last changed before then are left as they are" in said, said
    assert "ticketbot backfill --since" in said

    later = invoke("run", "--engine", "rules")
    assert later.exit_code == 0, later.output
    assert "left as they are" not in later.stderr  # the cursor exists now
