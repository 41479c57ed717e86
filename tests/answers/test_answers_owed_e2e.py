"""A damaged answers' book no longer drops the replies it still owed in silence: on each sandbox,
through the CLI, the run finds them in the log (planned, never sent or cancelled), tells the
agents on each ticket that its announced reply was not sent and why, names the tickets in its
warning, and sends nothing from the note's copy. A reply the log says went out is not named, and
a later run says nothing again.

Before, the book was set aside with "the loop guard and the ladder start afresh": the tickets'
notes still said "Reply to be sent to the customer" and no run ever sent it or said so.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, plain, private_notes, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.common.eventlog import EventLog
from ticket_processor.sandbox.desks import Desk

QUESTIONS = [
    {
        "subject": "Password reset",
        "description": "I forgot my password. How do I reset my password?",
        "kind": "answerable",
    },
    {
        "subject": "Dark mode",
        "description": "How do I turn on dark mode in the app?",
        "kind": "answerable",
    },
]


@pytest.mark.desk(configure=True)
def test_the_replies_a_damaged_book_owed_are_handed_back_to_the_agents(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    owed, settled = create_tickets(desk, QUESTIONS)
    first = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "off"})
    assert first.exit_code == 0, first.output
    # As a sending run killed after announcing both replies logged them (one of them sent).
    killed = EventLog(tmp_path / "logs", run_id="killed-run")
    for ticket in (owed, settled):
        killed.emit(
            "answer_planned",
            ticket_id=ticket,
            category="account",
            article_id=7,
            probability=0.97,
            language="en",
            text_from="excerpt",
            dry_run=False,
            shadow=False,
        )
    killed.emit("answer_sent", ticket_id=settled, category="account", article_id=7)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    (state / "answers.json").write_bytes(os.urandom(3000))

    env = {"TICKETBOT_ANSWER_MODE": "send"}
    second = invoke("run", "--engine", "rules", env=env)
    assert second.exit_code == 0, second.output
    assert "set aside and replaced by safe defaults: answers.json" in second.output
    assert "1 reply its note announced was not sent" in second.output, second.output
    assert f"asking an agent to answer (ticket {owed})" in second.output, second.output
    assert outbox(desk) == []  # nothing sent from the note's copy
    said = [n for n in private_notes(desk, owed) if "was not sent" in n]
    assert len(said) == 1, private_notes(desk, owed)
    assert "(article #7) was not sent: ticketbot's record of planned replies was damaged" in plain(
        said[0]
    )
    assert not [n for n in private_notes(desk, settled) if "was not sent" in n]
    cancelled = [e for e in events(tmp_path / "logs") if e["event"] == "answer_cancelled"]
    assert [(e["ticket_id"], e["reason"]) for e in cancelled] == [(owed, "book_damaged")]

    (state / "answers.json").write_bytes(b"{damaged again")
    third = invoke("run", "--engine", "rules", env=env)
    assert third.exit_code == 0, third.output
    assert "was not sent" not in third.output, third.output
    assert len([n for n in private_notes(desk, owed) if "was not sent" in n]) == 1
