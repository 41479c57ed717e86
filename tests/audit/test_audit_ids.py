"""The note's and the public reply's ids in the audit store, where the helpdesk names them:
a run in send mode on each sandbox stores each answer's reply id (the one the customer was
mailed: ``GET /sandbox/outbox``) on its decision and its ``answer`` write; on Freshdesk each
triage note's id (the ``POST /notes`` answer) too. Zendesk's batched writes (``update_many``
jobs) and ServiceNow's record ``PATCH`` (a work note is a journal field of it) name no comment:
there the note id stays empty, as docs/reference/audit-store.md says for Zendesk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke

from ticket_processor.audit.schema import decisions, writes
from ticket_processor.audit.store import AuditStore
from ticket_processor.sandbox.desks import Desk

pytestmark = [pytest.mark.desk(configure=True)]


def test_note_and_reply_ids_are_stored(desk: Desk) -> None:
    publish_help_centre(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    ids = create_tickets(desk, [cases[0], cases[3]])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    mailed = {m["ticket_id"]: str(m["comment_id"]) for m in outbox(desk)}
    assert set(mailed) == set(ids)

    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    with AuditStore.open(None, state_dir=state) as store, store.engine.connect() as conn:
        found = {
            int(r.ticket_id): r
            for r in conn.execute(decisions.select().where(decisions.c.ticket_id.in_(ids)))
        }
        written = {
            (int(r.ticket_id), r.kind): r
            for r in conn.execute(writes.select().where(writes.c.ticket_id.in_(ids)))
        }
    for ticket_id in ids:
        decision = found[ticket_id]
        assert decision.answer_state == "sent"
        assert decision.reply_id == mailed[ticket_id]
        assert written[(ticket_id, "answer")].reply_id == mailed[ticket_id]
        note_id = written[(ticket_id, "triage")].note_id
        if desk.kind == "freshdesk":
            notes = [
                str(n["id"])
                for n in desk.sandbox.store.conversations(ticket_id)
                if n.get("private")
            ]
            assert note_id in notes
            assert decision.note_id == note_id
        else:
            assert note_id is None
