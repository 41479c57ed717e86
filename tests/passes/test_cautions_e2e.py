"""The judgements that run cautiously say so, on each sandbox, through the CLI: the run's summary
line and ``ticketbot health`` name the spam gate that only suggested on known customers' tickets
and the answers still on the ``auto`` ladder's draft step, and why, a quiet run after them too;
a run where neither held back names neither."""

from __future__ import annotations

import json
import re

import pytest
from support.answers_desk import create_tickets, publish_help_centre, rows
from support.cli import invoke
from typer.testing import Result

from ticket_processor.sandbox.desks import Desk, NewTicket


def cautions(ran: Result) -> str:
    """The summary line's ``cautious=`` value ('' when it has none)."""
    found = re.search(r"cautious=(['\"])(.*?)\1", ran.output)
    return found.group(2) if found else ""


def health_says() -> str:
    health = invoke("health", "--json")
    checks = {c["name"]: c for c in json.loads(health.output)["checks"]}
    check = checks.get("cautious judgements")
    if check is None:
        return ""
    assert check["status"] == "healthy"
    return str(check["reason"])


def _phish() -> dict[str, str]:
    (row,) = [m for m in rows("spam_tickets.jsonl") if m["id"] == "held-1"]
    return {key: str(value) for key, value in row.items()}


@pytest.mark.desk(configure=True)
def test_the_spam_gate_says_it_only_suggested_on_known_customers(desk: Desk) -> None:
    phish = _phish()
    desk.create([NewTicket(phish["subject"], phish["description"], sender="it@quota.example.net")])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert "spam:" not in cautions(ran)  # a stranger's phishing is gated: nothing held back
    assert "spam:" not in health_says()

    desk.create(
        [
            NewTicket(
                phish["subject"], phish["description"], sender="anna@acme.example", organization=7
            )
        ]
    )
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    said = "spam: suggest-only for known customers until the helpdesk flags the mail"
    assert said in cautions(ran), ran.output
    assert "1 known customer's ticket in this run the learned model alone" in cautions(ran)
    assert said in health_says()

    # A quiet run (nothing new) holds nothing back itself; health still counts the last day's.
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert "spam:" not in cautions(ran)
    assert "1 known customer's ticket in the last 24 h" in health_says()


@pytest.mark.desk(configure=True)
def test_answers_on_the_auto_ladders_first_step_say_they_only_draft(desk: Desk) -> None:
    publish_help_centre(desk)
    answerable = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    create_tickets(desk, answerable[:6])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "auto"})
    assert ran.exit_code == 0, ran.output
    assert "answers_drafted=0" not in ran.output  # the first step drafts
    said = "answers: draft-only until agents use 60% of a category's last 20 drafts"
    assert said in cautions(ran), ran.output
    assert "on the auto ladder's first step" in cautions(ran)
    assert said in health_says()

    # A quiet run (nothing new): the categories are still on the first step, and say so.
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "auto"})
    assert ran.exit_code == 0, ran.output
    assert said in cautions(ran), ran.output
    assert said in health_says()

    create_tickets(desk, answerable[6:12])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    assert "answers:" not in cautions(ran)  # the team chose to send: nothing holds it back
    assert "answers:" not in health_says()
