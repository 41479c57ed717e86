"""``run --ticket ID`` names tickets that must exist: a mistyped ID is refused naming it, exit 1
(as ``answers explain`` refuses one), before the run starts; it once ran, triaged nothing,
printed ``ok triaged=0`` and exited 0."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)


def test_a_ticket_the_helpdesk_does_not_have_is_an_error_naming_it(desk: Desk) -> None:
    [real] = desk.create([NewTicket("Refund", "Please refund my broken order.")])
    before = desk.snapshot(real).tags

    missing = invoke("run", "--engine", "rules", "--ticket", "99999")
    assert missing.exit_code == 1, missing.output
    assert "error: no ticket 99999 in the helpdesk" in missing.output
    assert "triaged=" not in missing.output

    # One real and one mistyped: nothing is triaged, only the mistyped one is named.
    mixed = invoke("run", "--engine", "rules", "--ticket", str(real), "--ticket", "99999")
    assert mixed.exit_code == 1, mixed.output
    assert "error: no ticket 99999 in the helpdesk" in mixed.output
    assert desk.snapshot(real).tags == before

    found = invoke("run", "--engine", "rules", "--ticket", str(real))
    assert found.exit_code == 0, found.output
    assert desk.snapshot(real).tags != before
