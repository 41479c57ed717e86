"""An agent who replied before the run: the answer is refused when it is planned, on each
sandbox, through the CLI (a send-mode run, then ``answers explain``).

The answer was planned, announced in the note ("--- Reply to be sent to the customer ---"),
then cancelled at the send (``answer_cancelled reason=agent_answered``): the note said a reply
would go out that never did, and ``answers explain`` said it "would send".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, plain, private_notes, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk

QUESTION = {
    "subject": "Password reset",
    "description": "I forgot my password. How do I reset my password?",
    "kind": "answerable",
}
AGENT_REPLY = "Hi, I have sent you a reset link by hand: please check your inbox."


@pytest.mark.desk(configure=True)
def test_an_agents_earlier_reply_refuses_the_answer_at_planning(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    replied, untouched = create_tickets(desk, [QUESTION, QUESTION])
    desk.agent_replies(replied, AGENT_REPLY)
    env = {"TICKETBOT_ANSWER_MODE": "send"}
    result = invoke("run", "--engine", "rules", env=env)
    assert result.exit_code == 0, result.output

    mails = [(m["ticket_id"], plain(m["body"])) for m in outbox(desk)]
    assert [body for ticket, body in mails if ticket == replied] == [AGENT_REPLY]
    assert [ticket for ticket, _ in mails if ticket == untouched] == [untouched]
    logged = events(tmp_path / "logs")
    refused = {e["ticket_id"]: e["reason"] for e in logged if e["event"] == "answer_refused"}
    assert refused.get(replied) == "agent_answered", refused
    assert not [e for e in logged if e["event"] == "answer_cancelled"]
    notes = private_notes(desk, replied)
    assert notes, "the ticket's triage note"
    assert not any("Reply to be sent" in n for n in notes), notes

    shown = invoke("answers", "explain", str(replied), "--json", env=env)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["decision"] == {"stopped_by": "agent_answered"}
