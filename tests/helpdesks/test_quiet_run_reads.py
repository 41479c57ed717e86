"""A run with nothing new reads only what the run before it wrote, on each helpdesk.

Freshdesk's ``updated_since`` is inclusive, and the cursor stood at the last ticket's second:
every later run read that second's tickets again (the 16 solved tickets a seed made in the same
second as its 50 open ones, then the 50 the run wrote last, run after run) and counted them as
skipped. Once Freshdesk's own clock (the answer's ``Date``) has left that second, the next run
starts after it. The sandbox runs on ``desk_clock``: the test moves it on between steps as the
minutes of a schedule would, with no sleeping.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.cli import invoke
from support.clock import FakeClock

from ticket_processor.sandbox.desks import NewTicket, SolvedTicket

pytestmark = pytest.mark.desk(clock="desk_clock", configure=True)
OPEN = 6
SOLVED = 4


def _counts(output: str) -> tuple[int, int]:
    found = re.search(r"triaged=(\d+) .*?skipped=(\d+)", output)
    assert found, output
    return int(found.group(1)), int(found.group(2))


def test_a_run_with_nothing_new_reads_only_what_the_last_run_wrote(
    desk: Any, desk_clock: FakeClock
) -> None:
    desk.create([NewTicket(f"Export fails ({n})", "The CSV export is empty.") for n in range(OPEN)])
    desk.import_solved([SolvedTicket(f"Invoice copy ({n})", "Thanks!") for n in range(SOLVED)])
    desk_clock.advance(60)

    first = invoke("run", "--engine", "rules")
    assert first.exit_code == 0, first.output
    assert _counts(first.output) == (OPEN, SOLVED)
    desk_clock.advance(600)

    second = invoke("run", "--engine", "rules")
    assert second.exit_code == 0, second.output
    assert _counts(second.output) == (0, OPEN)  # the tickets the first run wrote, no more
    desk_clock.advance(600)

    third = invoke("run", "--engine", "rules")
    assert third.exit_code == 0, third.output
    assert _counts(third.output) == (0, 0)
