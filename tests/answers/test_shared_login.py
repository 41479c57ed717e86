"""Where ticketbot signs in as an agent who also replies by hand, that agent's public reply is
an agent's reply: accepting the drafted answer from the review queue is refused ("an agent has
replied publicly"), nothing is sent, and the ticket is not tagged answered. Whose reply is
ticketbot's is judged by what ticketbot sent (the answers' book's text), not by the author:
by the author alone the agent's reply was taken for ticketbot's own, "answer sent", and the
ticket tagged ``ai_answered``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, plain, publish_help_centre, rows
from support.cli import invoke

from ticket_processor.answers.review import AnswerSender
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(configure=True)

TICKETBOTS_OWN_USER = 1  # the API user ticketbot signs in as, on both sandboxes
AGENT_REPLY = "Hi, I have just reset your access by hand: try signing in again now."


def _sender(tmp_path: Path) -> AnswerSender:
    settings = load_settings(dict(os.environ))
    return AnswerSender(
        lambda: connect(settings),
        state_dir=Path(os.environ["TICKETBOT_STATE_DIR"]),
        log_dir=tmp_path / "logs",
        prefix="ai_",
    )


def test_an_agent_reply_under_ticketbots_login_is_not_taken_for_the_answer(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    answerable = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    agent_replied, untouched = create_tickets(desk, [answerable[0], answerable[3]])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "draft"})
    assert ran.exit_code == 0, ran.output
    desk.agent_replies(agent_replied, AGENT_REPLY, author=TICKETBOTS_OWN_USER)

    sender = _sender(tmp_path)
    refused = sender.send(agent_replied, None, "lead")
    assert refused.state == "refused", refused
    assert refused.reason == "an agent has replied publicly since the draft"
    assert "ai_answered" not in desk.snapshot(agent_replied).tags
    assert [plain(m["body"]) for m in outbox(desk)] == [AGENT_REPLY]

    # ticketbot's own reply is still known for its own: sent once, then "sent already".
    sent = sender.send(untouched, None, "lead")
    assert sent.state == "sent", sent
    assert "ai_answered" in desk.snapshot(untouched).tags
    assert len([m for m in outbox(desk) if m["ticket_id"] == untouched]) == 1
