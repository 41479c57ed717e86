"""An agent's "not helped" reaches the answers' figures, on each sandbox: a send-mode run
answers what its help centre answers; an agent tags one answered ticket
``ai_feedback_not_helped``; the next run counts that answer as re-opened (what the ``auto``
ladder's re-open rate and ``report``'s answers table count), once, and leaves the others
open. The same "not helped" given on the dashboard's ticket page (the real form, with its
CSRF token, twice: a double click) counts the same way, once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.answers_desk import create_tickets, publish_help_centre
from support.cli import invoke
from support.dashboard import TOKEN, bearer, rate, start_dashboard
from support.e2e import events

from ticket_processor.sandbox.desks import Desk

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
]
SEND = {"TICKETBOT_ANSWER_MODE": "send"}


def _answered(desk: Desk, tmp_path: Path) -> list[int]:
    """The help centre and the cases on the desk, one run that sends: the tickets answered."""
    publish_help_centre(desk)
    create_tickets(desk, CASES)
    assert invoke("run", "--engine", "llm", env=SEND).exit_code == 0
    sent = [e["ticket_id"] for e in events(tmp_path / "logs") if e["event"] == "answer_sent"]
    assert sent, "the run must answer a question its help centre answers"
    return sent


def _counted_reopened_once(tmp_path: Path, sent: list[int]) -> None:
    """Two more runs: the first answer counted reopened by an agent once, and in the report."""
    assert invoke("run", "--engine", "llm", env=SEND).exit_code == 0
    assert invoke("run", "--engine", "llm", env=SEND).exit_code == 0  # said once
    reopened = [e for e in events(tmp_path / "logs") if e["event"] == "answer_reopened"]
    assert [(e["ticket_id"], e.get("by")) for e in reopened] == [(sent[0], "agent")]
    report = invoke("report", "--json", "--since", "1d")
    assert report.exit_code == 0, report.output
    assert '"reopened": 1' in report.output


def test_an_answer_an_agent_said_did_not_help_counts_as_reopened(
    desk: Desk, tmp_path: Path
) -> None:
    sent = _answered(desk, tmp_path)
    desk.agent_edit(sent[0], "ai_feedback_not_helped", "normal")
    _counted_reopened_once(tmp_path, sent)


def test_an_answer_rated_not_helped_on_the_page_counts_as_reopened(
    desk: Desk, tmp_path: Path
) -> None:
    sent = _answered(desk, tmp_path)

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)
        for _click in range(2):
            assert (
                rate(client, sent[0], "answer", "not_helped", reason="asked something else") == 303
            )
    _counted_reopened_once(tmp_path, sent)
