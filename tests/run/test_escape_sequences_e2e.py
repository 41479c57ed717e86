"""Escape sequences in a ticket, on both helpdesks: a colour code in the subject and a
window-title sequence in the body left their parameters in the note's summary
(``[31mRED[0m``, ``]0;pwned``) when only the ESC byte was removed. Whole sequences go."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

SUBJECT = "Control \x1b[31mRED\x1b[0m chars"
BODY = "Hello\x1b]0;pwned\x07 this has control chars \x1b[2J and a bell \x07. The export fails."


def test_escape_sequences_leave_no_residue_in_the_note(desk: Desk) -> None:
    (ticket_id,) = desk.create([NewTicket(SUBJECT, BODY)])
    ran = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(ticket_id).notes
    summary = next(line for line in note.splitlines() if line.startswith("Summary: "))
    assert "Control RED chars" in summary
    assert "Hello this has control chars" in summary
    for residue in ("[31m", "[0m", "]0;", "pwned", "[2J", "\x1b", "\x07"):
        assert residue not in note, residue
