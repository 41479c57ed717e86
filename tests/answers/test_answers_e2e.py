"""Answering the customer end to end, on each sandbox, through the CLI, without an LLM.

One run in send mode over 60 tickets: at least 12 of the 30 answerable get exactly one public
reply naming the right article, at most one a wrong one; none of the 20 needing a person, the 5
angry or the 5 assigned gets any; answered tickets are pending with ``ai_answered``; a rerun
sends nothing; the customer's "thanks" resolves one, "that did not help" re-opens another with
no second reply.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from support.answers_desk import (
    create_tickets,
    linked_articles,
    outbox,
    publish_help_centre,
    rows,
    status,
)
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.answers.compose import TEMPLATES
from ticket_processor.sandbox.desks import Desk, NewTicket


def run(**env: str) -> None:
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send", **env})
    assert result.exit_code == 0, result.output


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_send_mode_answers_only_the_answerable_once(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    articles = publish_help_centre(desk)
    cases = rows("answers_tickets.jsonl")
    ids = create_tickets(desk, cases)
    run()

    mails = outbox(desk)
    per_ticket = Counter(m["ticket_id"] for m in mails)
    assert all(n == 1 for n in per_ticket.values()), per_ticket
    right = wrong = 0
    for ticket_id, case in zip(ids, cases, strict=True):
        if case["kind"] != "answerable":
            assert ticket_id not in per_ticket, (
                case,
                [m for m in mails if m["ticket_id"] == ticket_id],
            )
            continue
        if ticket_id not in per_ticket:
            continue
        (mail,) = [m for m in mails if m["ticket_id"] == ticket_id]
        linked = linked_articles(mail["body"])
        if linked & articles[case["answer_article"]]:
            right += 1
        else:
            wrong += 1
        assert status(desk, ticket_id) == "pending"
        tags = desk.snapshot(ticket_id).tags
        assert "ai_answered" in tags
        assert any(t.startswith("ai_answer_article_") for t in tags)
        assert mail["author_id"] == 1  # the API token's user
    assert right >= 12, (right, wrong)
    assert wrong <= 1

    run()
    assert outbox(desk) == mails  # a rerun sends nothing

    answered = [i for i in ids if i in per_ticket]
    thanked, unhappy = answered[0], answered[1]
    desk_clock.advance(5)
    desk.requester_says(thanked, "Thanks, that solved it!")
    desk.requester_says(unhappy, "That did not help, the button is not there at all.")
    desk_clock.now = float(int(time.time()))
    run()
    assert outbox(desk) == mails  # no second reply
    assert "ai_answer_resolved" in desk.snapshot(thanked).tags
    assert status(desk, thanked) == "solved"
    reopened = desk.snapshot(unhappy)
    assert "ai_answer_reopened" in reopened.tags
    assert status(desk, unhappy) == "open"
    run()
    assert outbox(desk) == mails  # and never again
    logged = events(tmp_path / "logs")
    assert sum(e["event"] == "answer_sent" for e in logged) == len(per_ticket)
    assert sum(e["event"] == "answer_resolved" for e in logged) == 1
    assert sum(e["event"] == "answer_reopened" for e in logged) == 1

    report = invoke("report", "--json", "--since", "7d")
    assert report.exit_code == 0, report.output
    rows_ = json.loads(report.stdout)["answers"]
    assert sum(r["sent"] for r in rows_) == len(per_ticket)
    assert sum(r["resolved"] for r in rows_) == 1
    assert sum(r["reopened"] for r in rows_) == 1
    assert all(r["resolution_rate"] == r["resolved"] / r["sent"] for r in rows_ if r["sent"])
    assert "Answers to customers" in invoke("report", "--since", "7d").output


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_the_greeting_names_the_customer_only_by_a_plain_first_name(
    desk: Desk, desk_clock: FakeClock
) -> None:
    """The requester's name is read from the helpdesk (a user, a contact) for the greeting;
    a name that is not a plain one (markup, an address) is not echoed to anyone."""
    publish_help_centre(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    names = ["María José Ortega", "<b>Eve</b> Mallory", "bob@example.com", None]
    ids = desk.create(
        [
            NewTicket(c["subject"], c["description"], requester_name=names[n % len(names)])
            for n, c in enumerate(cases)
        ]
    )
    run()
    mails = outbox(desk)
    assert len(mails) >= 12
    named = {t: names[n % len(names)] for n, t in enumerate(ids)}
    bare = {t.greeting.format(name="") for t in TEMPLATES.values()}
    with_maria = {t.greeting.format(name=" María") for t in TEMPLATES.values()}
    seen: Counter[str | None] = Counter()
    for mail in mails:
        name, greeting = named[mail["ticket_id"]], mail["body"].split("\n")[0]
        seen[name] += 1
        assert greeting in (with_maria if name == "María José Ortega" else bare), (name, greeting)
    assert all(seen[name] for name in names), seen  # each kind of name was answered
