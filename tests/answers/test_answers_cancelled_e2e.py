"""A reply planned and announced in the ticket's note, then not sent because an agent replied
in the meantime: on each sandbox, through the CLI, the cancellation is counted in the run's
line and in ``report``, the audit store marks the ticket's planned answer ``cancelled`` (the
dashboard's word), and the ticket gets one internal note line saying the reply was not sent
and why. Before, only the log's ``answer_cancelled`` said it: the note still announced a reply
that never went out.

The plan is left in the answers' book as a run killed between its note and its send leaves it
(or ``serve``, stopped before sending): the next run reads the conversation before sending.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, plain, private_notes, publish_help_centre
from support.cli import invoke
from support.e2e import events

from ticket_processor.answers.book import AnswerBook
from ticket_processor.answers.vocab import AnswerPlan
from ticket_processor.audit.schema import decisions, writes
from ticket_processor.audit.store import AuditStore
from ticket_processor.sandbox.desks import Desk

QUESTION = {
    "subject": "Password reset",
    "description": "I forgot my password. How do I reset my password?",
    "kind": "answerable",
}
AGENT_REPLY = "Hi, I have sent you a reset link by hand: please check your inbox."
PLANNED = "Hi,\n\nYou can reset your password from the sign-in page.\n\nA person will follow up."


@pytest.mark.desk(configure=True)
def test_a_reply_cancelled_after_its_note_is_counted_and_said_on_the_ticket(
    desk: Desk, tmp_path: Path
) -> None:
    publish_help_centre(desk)
    (ticket,) = create_tickets(desk, [QUESTION])
    env = {"TICKETBOT_ANSWER_MODE": "send"}
    first = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "off"})
    assert first.exit_code == 0, first.output
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    plan = AnswerPlan(
        ticket_id=ticket,
        delivery="send",
        category="account",
        article_id=7,
        article_url="https://help.example/articles/7",
        language="en",
        probability=0.97,
        body=PLANNED,
    )
    AnswerBook(state).plan(plan, time.time())  # as the killed run left it
    desk.agent_replies(ticket, AGENT_REPLY)

    second = invoke("run", "--engine", "rules", env=env)
    assert second.exit_code == 0, second.output
    assert "answers_cancelled=1" in second.output, second.output
    assert [plain(m["body"]) for m in outbox(desk)] == [AGENT_REPLY]
    cancelled = [e for e in events(tmp_path / "logs") if e["event"] == "answer_cancelled"]
    assert [(e["ticket_id"], e["reason"], e["note"]) for e in cancelled] == [
        (ticket, "agent_answered", True)
    ]
    said = [n for n in private_notes(desk, ticket) if "was not sent" in n]
    assert len(said) == 1, private_notes(desk, ticket)
    assert "(article #7) was not sent: an agent replied first." in plain(said[0])

    shown = invoke("report", "--since", "1h", "--json")
    assert shown.exit_code == 0, shown.output
    answers = json.loads(shown.output)["answers"]
    assert [(a["category"], a["cancelled"], a["sent"]) for a in answers] == [("account", 1, 0)]
    with AuditStore.open(None, state_dir=state) as store, store.engine.connect() as conn:
        kinds = [r.kind for r in conn.execute(writes.select().where(writes.c.ticket_id == ticket))]
    assert "answer_cancelled" in kinds, kinds


def test_the_audit_store_marks_a_planned_answer_cancelled(tmp_path: Path) -> None:
    base = {"run_id": "r1", "ticket_id": 5, "message_id": 0, "helpdesk": "zendesk"}
    at = {"at": datetime(2026, 11, 28, tzinfo=UTC)}
    with AuditStore.open(None, state_dir=tmp_path) as store:
        store.upsert_decisions(
            [{**base, **at, "kind": "ticket", "status": "written", "answer_state": "planned"}]
        )
        store.upsert_writes(
            [{**base, **at, "run_id": "r2", "kind": "answer_cancelled", "ok": True}]
        )
        with store.engine.connect() as conn:
            states = [r.answer_state for r in conn.execute(decisions.select())]
    assert states == ["cancelled"]
