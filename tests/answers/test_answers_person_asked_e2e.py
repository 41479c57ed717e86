"""A customer who asks for a person gets no automated reply: a send-mode run, on each sandbox,
through the CLI, without an LLM (the learned engine), refuses them as ``person_asked`` while
the same question asked plainly is answered.

"How do I reset my password? I want to speak to a human agent, not a bot." was sent the
password article: no guard read a wish for a person (``needs_person`` reads money and errors
on the customer's own account).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, private_notes, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk
from ticket_processor.steps.shown import read_sections

PLAIN = {
    "subject": "Password reset",
    "description": "I forgot my password. How do I reset my password?",
    "kind": "answerable",
}
ASKS_FOR_A_PERSON = [
    {
        "subject": "Password reset",
        "description": "How do I reset my password? I want to speak to a human agent, not a bot.",
        "kind": "person",
    },
    {
        "subject": "Password reset",
        "description": "I forgot my password. How do I reset my password? Can someone call me?",
        "kind": "person",
    },
]


@pytest.mark.desk(configure=True)
def test_a_customer_who_asks_for_a_person_gets_no_automated_reply(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    ids = create_tickets(desk, [PLAIN, *ASKS_FOR_A_PERSON])
    result = invoke("run", "--engine", "llm", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output

    mailed = sorted({m["ticket_id"] for m in outbox(desk)})
    assert mailed == ids[:1], mailed
    logged = events(tmp_path / "logs")
    refused = {e["ticket_id"]: e["reason"] for e in logged if e["event"] == "answer_refused"}
    assert [refused.get(i) for i in ids[1:]] == ["person_asked", "person_asked"], refused
    finished = [e for e in logged if e["event"] == "run_finished"][-1]
    assert finished["answers_refused"].get("person_asked") == 2, finished["answers_refused"]
    for ticket_id in ids[1:]:
        assert not any("Reply to be sent" in n for n in private_notes(desk, ticket_id))
    # The dashboard's ticket page says why (the decision's stored event holds its section).
    triaged = {e["ticket_id"]: e for e in logged if e["event"] == "ticket_triaged"}
    for ticket_id in ids[1:]:
        [held] = [s for s in read_sections(triaged[ticket_id]) if s.step == "answers"]
        assert held.title == "Answer held back"
        [row] = held.rows
        assert row.value == "person_asked"
        assert row.label.startswith("person_asked: the customer asks for a person"), row.label
        assert row.detail == "answer mode send"
        assert not held.source  # not something an agent answers from
    assert not [s for s in read_sections(triaged[ids[0]]) if s.step == "answers"]
