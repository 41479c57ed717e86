"""Drafted answers in the review queue, on each sandbox: a real run in draft mode drafts them,
``ticketbot dashboard --review`` lists them, and a lead's accept (with the CSRF token, from the
dashboard's origin) sends the draft as one public reply (``GET /sandbox/outbox``) through the
answers' send-once path; a second accept, a second sender racing it and the next run send
nothing more; an agent's public reply since the draft refuses it with a clear message; a
corrected answer is sent as the lead's plain text; a rejected one is not sent. The verdicts are
in the audit store, with the reply's id."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest
from support.answers_desk import (
    create_tickets,
    linked_articles,
    outbox,
    plain,
    publish_help_centre,
    rows,
)
from support.cli import invoke
from support.dashboard import TOKEN, bearer, csrf_of, start_dashboard

from ticket_processor.answers.review import AnswerSender
from ticket_processor.audit.schema import decisions, reviews
from ticket_processor.audit.store import AuditStore
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk

pytestmark = [pytest.mark.desk(configure=True), pytest.mark.slow]

DRAFT = {"TICKETBOT_ANSWER_MODE": "draft"}
EDITED = "Hello <b>there</b> & welcome: see Settings > Export."


def _answer_ids(html: str) -> dict[int, int]:
    """ticket id -> the decision id of its drafted answer, as the queue lists them."""
    return {
        int(m.group(1)): int(m.group(2))
        for m in re.finditer(
            r'<article class="answer" data-ticket-id="(\d+)">.*?value="(\d+):answer"', html, re.S
        )
    }


def _mails(desk: Desk, ticket_id: int) -> list[str]:
    return [plain(m["body"]) for m in outbox(desk) if m["ticket_id"] == ticket_id]


def test_drafted_answers_are_sent_once_from_the_review_queue(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    ids = create_tickets(desk, [cases[0], cases[3], cases[6], cases[9], cases[12]])
    ran = invoke("run", "--engine", "rules", env=DRAFT)
    assert ran.exit_code == 0, ran.output
    assert outbox(desk) == []

    with start_dashboard("--review", env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN, **DRAFT}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)
        queue = client.get("/review").text
        drafted = _answer_ids(queue)
        assert len(drafted) == 5, queue
        first, agent, edited, rejected, bulk = [i for i in ids if i in drafted]
        token = csrf_of(queue)
        origin = {"origin": url}

        def post(**data: str | list[str]) -> str:
            answer = client.post("/review", data={"csrf": token, **data}, headers=origin)
            assert answer.status_code == 303, answer.text
            return client.get(answer.headers["location"]).text

        # Without the CSRF token nothing is sent.
        refused = client.post("/review", data={"accept": f"{drafted[first]}:answer"})
        assert refused.status_code == 403
        assert outbox(desk) == []

        # Accepted: one public reply, the draft's text.
        done = post(accept=f"{drafted[first]}:answer")
        assert f"ticket {first}: answer sent (run " in done
        mails = _mails(desk, first)
        assert len(mails) == 1
        assert linked_articles(mails[0])  # a help-centre article, in the helpdesk's link form
        assert first not in _answer_ids(done)  # it left the queue

        # Accepted again: still one.
        again = post(accept=f"{drafted[first]}:answer")
        assert f"ticket {first}: no drafted answer waits" in again
        assert len(_mails(desk, first)) == 1

        # An agent replied publicly since the draft: refused, said plainly, nothing sent.
        desk.agent_replies(agent, "We are looking into it for you.")
        told = post(accept=f"{drafted[agent]}:answer")
        assert "answer not sent: an agent has replied publicly since the draft" in told
        assert told.count("not sent") == 1, told
        assert _mails(desk, agent) == ["We are looking into it for you."]

        # Corrected: the lead's text goes out as plain text.
        sent = post(
            correct=f"{drafted[edited]}:answer", **{f"value:{drafted[edited]}:answer": EDITED}
        )
        assert "answer sent (as corrected)" in sent
        assert _mails(desk, edited) == [EDITED]

        # Rejected: nothing sent, and it leaves the queue.
        said = post(reject=f"{drafted[rejected]}:answer")
        assert f"ticket {rejected}: answer rejected, not sent" in said
        assert rejected not in _answer_ids(said)
        assert _mails(desk, rejected) == []

        # In bulk, with one already sent among the ticked: one new reply, none twice.
        both = post(bulk="1", item=[f"{drafted[bulk]}:answer", f"{drafted[first]}:answer"])
        assert f"ticket {bulk}: answer sent (run " in both
        assert len(_mails(desk, bulk)) == 1
        assert len(_mails(desk, first)) == 1

    # A second sender racing the first (the store's check passed for both): the answers' book
    # stops it; so it does the next run.
    settings = load_settings(dict(os.environ))  # the desk's environment
    sender = AnswerSender(
        lambda: connect(settings),
        state_dir=Path(os.environ["TICKETBOT_STATE_DIR"]),
        log_dir=tmp_path / "logs",
        prefix="ai_",
    )
    raced = sender.send(first, None, "lead")
    assert raced.state is None
    assert raced.reason == "the answer was sent already"
    rerun = invoke("run", "--engine", "rules", "--since", "2000-01-01T00:00:00Z", env=DRAFT)
    assert rerun.exit_code == 0, rerun.output
    assert len(_mails(desk, first)) == 1
    assert len(_mails(desk, edited)) == 1

    # The verdicts are stored: the answer figures count them, the reply's id is kept.
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    with AuditStore.open(None, state_dir=state) as store, store.engine.connect() as conn:
        states = {
            int(r.ticket_id): (r.answer_state, r.reply_id)
            for r in conn.execute(
                decisions.select().where(decisions.c.ticket_id.in_([first, agent, edited]))
            )
            if r.answer_state in ("sent", "refused")
        }
        verdicts = {
            (int(r.ticket_id), r.action, r.value)
            for r in conn.execute(reviews.select().where(reviews.c.field == "answer"))
        }
    assert states[first][0] == "sent"
    assert states[first][1]  # the reply's id
    assert states[edited][0] == "sent"
    assert states[agent] == ("refused", None)
    assert (first, "accept", "sent") in verdicts
    assert (edited, "correct", "sent") in verdicts
    assert (agent, "accept", "refused") in verdicts
