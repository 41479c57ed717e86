"""A ticket's page after ticketbot answered the customer and the customer replied, on each
sandbox, through the real ``ticketbot dashboard`` over the store real runs wrote.

The header keeps the ticket's subject and category (the re-triage after the reply names
neither), and says whether the answer resolved the ticket or was re-opened; the "did not help"
note is among ticketbot's notes. What the page reads of the helpdesk is kept a minute per
ticket (``dashboard.kept_reads``; what that saves the helpdesk is counted in
``tests/summary/test_summary_dashboard.py``).
"""

from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke
from support.clock import FakeClock
from support.dashboard import start_dashboard

from ticket_processor.dashboard.kept_reads import KeptReads
from ticket_processor.sandbox.desks import Desk


def run() -> None:
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output


def header(page: str) -> str:
    found = re.search(r"<h1[^>]*>.*?</p>\s*(?:<p class=\"pills\">.*?</p>)", page, re.S)
    assert found is not None, page
    return found.group(0)


def test_a_kept_read_is_read_once_a_minute_per_ticket_and_forgotten_after_a_write() -> None:
    now = [0.0]
    asked: list[int] = []

    def read(ticket_id: int) -> str:
        asked.append(ticket_id)
        return f"ticket {ticket_id}"

    kept = KeptReads(read, clock=lambda: now[0], most=2)
    assert [kept(1) for _ in range(100)] == ["ticket 1"] * 100
    assert asked == [1]
    now[0] = 59.0
    kept(1)
    assert asked == [1]
    now[0] = 60.0  # a minute on: read again
    kept(1)
    assert asked == [1, 1]
    kept(2), kept(3)  # at most two kept: 1 goes, the least recently viewed
    kept(3), kept(1)
    assert asked == [1, 1, 2, 3, 1]
    kept.forget()
    kept(3)
    assert asked[-1] == 3


def test_pages_of_many_tickets_read_the_helpdesk_at_most_so_often_a_minute() -> None:
    now = [0.0]
    asked: list[int] = []

    def read(ticket_id: int) -> str:
        asked.append(ticket_id)
        return "read"

    kept = KeptReads(read, over_budget=lambda t: "busy", reads_per_minute=3, clock=lambda: now[0])
    assert [kept(t) for t in range(1, 6)] == ["read", "read", "read", "busy", "busy"]
    assert asked == [1, 2, 3]
    assert kept(1) == "read"  # kept: no read spent
    now[0] = 60.0  # a minute on, the budget is back; ticket 4 was not kept as "busy"
    assert kept(4) == "read"
    assert asked == [1, 2, 3, 4]


def test_views_of_a_ticket_not_kept_wait_for_one_read() -> None:
    asked: list[int] = []
    release = threading.Event()

    def slow(ticket_id: int) -> int:
        asked.append(ticket_id)
        release.wait(10)
        return ticket_id

    kept = KeptReads(slow)
    views = [threading.Thread(target=kept, args=(7,)) for _ in range(20)]
    for view in views:
        view.start()
    release.set()
    for view in views:
        view.join(10)
    assert asked == [7]


@pytest.mark.slow
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_the_page_after_an_answer_and_the_customers_reply(
    desk: Desk, desk_clock: FakeClock
) -> None:
    publish_help_centre(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"][:10]
    ids = create_tickets(desk, cases)
    run()
    answered = sorted({m["ticket_id"] for m in outbox(desk)} & set(ids))
    assert len(answered) >= 2, "the run must answer two tickets"
    thanked, unhappy = answered[0], answered[1]
    subjects = {i: c["subject"] for i, c in zip(ids, cases, strict=True)}
    desk_clock.advance(5)
    desk.requester_says(thanked, "Thanks, that solved it!")
    desk.requester_says(unhappy, "That did not help, the button is not there at all.")
    desk_clock.now = float(int(time.time()))
    run()
    assert "ai_answer_reopened" in desk.snapshot(unhappy).tags

    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)
        page = client.get(f"/tickets/{unhappy}").text
        top = header(page)
        assert subjects[unhappy] in top  # the subject and category of the first triage
        assert re.search(r'<span class="pill cat">[a-z_]+</span>', top), top
        assert '<span class="pill cat">–</span>' not in top
        assert "answer re-opened" in top
        assert "the automated answer did not help: re-opened for the team" in page
        assert "data-note>ticketbot: the automated answer did not help" in page
        assert 'data-kind="reply"' in page  # the re-triage is in the history, not the header

        resolved = client.get(f"/tickets/{thanked}").text
        assert subjects[thanked] in header(resolved)
        assert "answer resolved" in header(resolved)
