"""``ticketbot seed`` says everything it made, on each sandbox: beside the sample tickets, the
macros' solved history, by count and ids, so the first run's ``skipped=`` has its explanation
and the ids past the tickets' range are accounted for."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.sample_replies import sample_replies
from ticket_processor.sandbox.desks import Desk

HISTORY = len(sample_replies()[1])


@pytest.mark.desk(seed=None, configure=True)
def test_seed_names_the_solved_history_it_made_and_its_ids(desk: Desk) -> None:
    seeded = invoke("seed", "--count", "3")
    assert seeded.exit_code == 0, seeded.output
    said = " ".join(seeded.output.split())
    assert "Created 3 tickets in" in said
    first = desk.first_id
    assert f"(ids {first}-{first + 2})" in said
    history = sorted(set(desk.ids()) - {first, first + 1, first + 2})
    assert len(history) == HISTORY
    assert f"{HISTORY} solved tickets (ids {history[0]}-{history[-1]})" in said, said
    assert f"skipped={HISTORY}" in said

    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert f"triaged=3 failed=0 skipped={HISTORY} " in ran.output
