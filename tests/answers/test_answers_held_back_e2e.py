"""Why an answer was held back is on the ticket, and ``answers explain`` reports what the run
decided: on each sandbox, through the CLI.

A send-mode run with German-reading agents refuses a customer who asks for a person: the
ticket's note names the guard in one German line. ``answers explain`` in a shell without
``TICKETBOT_ANSWER_MODE`` then says what the run decided (from the audit store: refused by
``person_asked`` in mode send) and that deciding again here, with answers off, differs. Before,
the note said nothing of answers and ``answers explain`` said only "mode off ... not answered:
off", the shell's own decision.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, plain, private_notes, publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk

PERSON = {
    "subject": "Password reset",
    "description": "How do I reset my password? I want to speak to a human agent, not a bot.",
    "kind": "person",
}


@pytest.mark.desk(configure=True)
def test_the_note_and_explain_say_what_held_the_answer_back(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    (ticket,) = create_tickets(desk, [PERSON])
    env = {"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_AGENT_LANGUAGE": "de"}
    ran = invoke("run", "--engine", "rules", env=env)
    assert ran.exit_code == 0, ran.output

    notes = [plain(n) for n in private_notes(desk, ticket)]
    held = [line for n in notes for line in n.splitlines() if "person_asked" in line]
    assert held == [
        "Automatische Antwort an den Kunden zurückgehalten durch person_asked "
        f"(ticketbot answers explain {ticket} sagt, warum)."
    ], notes

    shell = {"TICKETBOT_ANSWER_MODE": None}
    shown = invoke("answers", "explain", str(ticket), "--json", env=shell)
    assert shown.exit_code == 0, shown.output
    found = json.loads(shown.output)
    assert found["mode"] == "off"
    run = found["run_decision"]
    assert (run["mode"], run["stopped_by"]) == ("send", "person_asked"), run

    said = invoke("answers", "explain", str(ticket), env=shell)
    assert said.exit_code == 0, said.output
    assert "the run decided: not answered: person_asked" in said.output, said.output
    assert "deciding again here, in this shell's mode off, gives another result" in said.output
