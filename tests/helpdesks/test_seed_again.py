"""``ticketbot seed`` on a sandbox with injected faults, on each helpdesk: a seed that fails
part-way says how many it made and that running it again completes it; run again, it makes
only the missing tickets (an earlier seed's are recognised), never a second copy. Before, a
seed whose create was stored but whose answer was lost made every such ticket twice."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.exitcodes import ExitCode
from ticket_processor.helpdesks.sample_replies import sample_replies
from ticket_processor.sandbox.desks import Desk

# Where each helpdesk creates: a stored create whose answer is lost (a gateway's 502), then
# one refused outright.
CREATE = {
    "zendesk": "POST /api/v2/tickets/create_many",
    "freshdesk": "POST /api/v2/tickets",
    "servicenow": "POST /api/now/table/incident",
}
COUNT = 12
# The sample macros' solved history, seeded once beside the tickets
# (``samples/ready_replies.jsonl``).
HISTORY = len(sample_replies()[1])


@pytest.mark.desk(seed=None, configure=True)
def test_a_seed_that_failed_part_way_is_completed_by_running_it_again(desk: Desk) -> None:
    create = CREATE[desk.kind]
    desk.sandbox.config.apply({"faults": [f"stored-502 {create}", f"500 {create}"]})
    first = invoke("seed", "--count", str(COUNT))
    assert first.exit_code == ExitCode.PARTIAL, first.output
    said = " ".join(first.output.split())
    assert "were not created" in said
    assert "Run the same `ticketbot seed` again" in said

    again = invoke("seed", "--count", str(COUNT))
    assert again.exit_code == ExitCode.OK, again.output
    assert len(desk.ids()) == COUNT + HISTORY  # each ticket once
    assert f"of the {COUNT} tickets were there already" in " ".join(again.output.split())

    third = invoke("seed", "--count", str(COUNT))
    assert third.exit_code == ExitCode.OK, third.output
    assert "Created no ticket" in third.output
    assert len(desk.ids()) == COUNT + HISTORY
