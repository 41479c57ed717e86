"""A ticket whose customer replied after its triage (one ticketbot answered among them) keeps its
row in the dashboard's list: the subject and the category of its triage, not the reply's decision
(which has neither); the reply shows as an event on the ticket's page. On each sandbox, over a
store real runs wrote (the first in send mode)."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke
from support.clock import FakeClock
from support.dashboard import TOKEN, bearer, rows_of, start_dashboard

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = [pytest.mark.slow]

TICKETS = [
    NewTicket("Refund for order 1182", "I want a refund for my order, please send my money back."),
    NewTicket("Cannot sign in", "I forgot my password and cannot log in to my account."),
]
ANGRY = "This is the third time I am asking and still no answer. This is unacceptable!"


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_a_replied_ticket_keeps_its_subject_and_triage(desk: Desk, desk_clock: FakeClock) -> None:
    publish_help_centre(desk)
    ids = desk.create(TICKETS)
    question = next(c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable")
    [answered] = create_tickets(desk, [question])
    assert invoke("kb", "sync").exit_code == 0
    first = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert first.exit_code == 0, first.output
    assert answered in {m["ticket_id"] for m in outbox(desk)}
    desk_clock.advance(5)
    desk.requester_says(ids[0], ANGRY)
    desk.requester_says(answered, "It still does not work, what else can I try?")
    desk_clock.now = float(int(time.time()))  # the reply is over a minute old now
    second = invoke("run", "--engine", "rules")
    assert second.exit_code == 0, second.output

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)
        listed = rows_of(client.get("/tickets").text)
        untouched = listed[ids[1]]
        assert "Cannot sign in" in untouched
        replied = listed[ids[0]]
        assert "Refund for order 1182" in replied, replied
        category = _category(untouched)
        assert category != "–"
        assert _category(replied) != "–", replied
        row = listed[answered]
        assert question["subject"] in row, row
        assert _category(row) != "–", row
        assert answered in rows_of(client.get("/tickets", params={"answered": "yes"}).text)
        # One row per ticket, and the reply is on the ticket's page.
        assert len(rows_of(client.get("/tickets", params={"q": "Refund"}).text)) == 1
        page = client.get(f"/tickets/{ids[0]}").text
        assert 'data-kind="reply"' in page
        assert "re-triage after a reply" in page
        assert "first triage" in page
        # The overview's tickets per hour count each ticket's triage once, by its engine: the
        # replies' re-triages are not tickets of an "unknown" engine.
        chart = client.get("/").text.split('aria-label="tickets per hour by engine"')[1]
        counted = re.findall(r"<title>\d\d:00 ([^<:]+): (\d+)</title>", chart.split("</svg>")[0])
        assert {name for name, _ in counted} == {"rules"}, counted
        assert sum(int(n) for _, n in counted) == len(ids) + 1, counted


def _category(row: str) -> str:
    found = re.search(r'<span class="pill cat">(.*?)</span>', row)
    assert found is not None, row
    return found.group(1)
