"""Customers rate the answers, on each sandbox: a send-mode run answers what its help centre
answers and leaves its note on the rest; two solved tickets ticketbot never saw stand for a
person alone. Their requesters answer the helpdesk's own satisfaction survey (Zendesk's
satisfaction rating, Freshdesk's survey, ServiceNow's survey instance), the next run reads the
ratings through the adapter, and ``report`` (JSON, text, HTML) gives satisfaction by who
answered: ticketbot, a person after ticketbot's note, a person alone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, publish_help_centre
from support.cli import invoke

from ticket_processor.audit.schema import decisions
from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, SolvedTicket

pytestmark = pytest.mark.desk(configure=True)

CASES = [
    {
        "subject": "Refund for yearly plan",
        "description": "I bought the yearly plan last week and changed my mind. "
        "Can I cancel and get a refund?",
        "kind": "answerable",
    },
    {
        "subject": "Company details on invoices",
        "description": "Our accountant needs the company address on every invoice. "
        "Where do I fill in the company details for billing?",
        "kind": "answerable",
    },
    {
        "subject": "Non-profit pricing",
        "description": "Do you offer a discount for registered charities and non-profits?",
        "kind": "none",
    },
    {
        "subject": "Shortcut",
        "description": "Is there a keyboard shortcut to create a new task quickly?",
        "kind": "none",
    },
]
EVERY_RUN = {"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_CUSTOMER_RATINGS_EVERY": "0.000001"}


def _answered(ids: list[int]) -> set[int]:
    settings = load_settings(dict(os.environ), env_file=None)
    with open_store(settings) as store, store.engine.connect() as conn:
        rows = conn.execute(decisions.select().where(decisions.c.answer_state == "sent")).mappings()
        return {int(r["ticket_id"]) for r in rows} & set(ids)


def test_report_compares_satisfaction_by_who_answered(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    ids = create_tickets(desk, CASES)
    assert invoke("run", "--engine", "llm", env=EVERY_RUN).exit_code == 0
    by_ticketbot = _answered(ids)
    after_note = set(ids) - by_ticketbot
    assert by_ticketbot, "the run must answer a question its help centre answers"
    assert after_note, "and leave the others to people"
    alone = desk.import_solved([SolvedTicket("Old one", "A question from before ticketbot.")] * 2)

    for ticket_id in by_ticketbot:
        desk.customer_rates(ticket_id, "good")
    for ticket_id in after_note:
        desk.customer_rates(ticket_id, "bad")
    desk.customer_rates(alone[0], "good")
    desk.customer_rates(alone[1], "bad")
    assert invoke("run", "--engine", "llm", env=EVERY_RUN).exit_code == 0
    assert invoke("run", "--engine", "llm", env=EVERY_RUN).exit_code == 0  # read again: once

    report = invoke("report", "--json", "--since", "1d")
    assert report.exit_code == 0, report.output
    customers = json.loads(report.output)["ratings"]["customers"]
    assert customers["ticketbot"] == {
        "good": len(by_ticketbot),
        "bad": 0,
        "satisfaction": 1.0,
    }
    assert customers["person_after_note"] == {
        "good": 0,
        "bad": len(after_note),
        "satisfaction": 0.0,
    }
    assert customers["person_alone"] == {"good": 1, "bad": 1, "satisfaction": 0.5}
    # The risk head's predictions of the triaged tickets, against the ratings that came later.
    calibration = json.loads(report.output)["ratings"]["risk_calibration"]
    assert sum(row["tickets"] for row in calibration) == len(ids)
    assert sum(row["rated_bad"] * row["tickets"] for row in calibration) == pytest.approx(
        len(after_note)
    )

    text = invoke("report", "--since", "1d")
    assert "Customers' satisfaction, answered by ticketbot: 100% good" in text.output
    assert "answered by a person alone: 50% good (1 good, 1 bad)" in text.output
    page = tmp_path / "report.html"
    assert invoke("report", "--since", "1d", "--html", str(page)).exit_code == 0
    html = page.read_text("utf-8")
    assert "<td class='n' data-answered='ticketbot'>100%</td>" in html
    assert "<td class='n' data-answered='person_after_note'>0%</td>" in html
