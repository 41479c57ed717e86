"""The answers' book is one file that ``serve`` and the scheduled run both change: each sees what
the other wrote, and neither writes over it. Before, each process kept the book it read at its
start and wrote it whole: the run's "sent" erased the reply serve had just planned (so it was
never sent by anyone after serve stopped), and the loop guard missed the other's answers."""

from __future__ import annotations

from pathlib import Path

from ticket_processor.answers.book import AnswerBook
from ticket_processor.answers.vocab import AnswerPlan


def _plan(ticket_id: int, requester_id: int) -> AnswerPlan:
    return AnswerPlan(
        ticket_id=ticket_id,
        delivery="send",
        category="how_to",
        article_id=10003,
        article_url="https://help.example.com/articles/10003",
        language="en",
        probability=0.95,
        body="Hello,\n\nThis article answers your question.",
        requester_id=requester_id,
    )


def test_two_processes_books_keep_each_others_entries(tmp_path: Path) -> None:
    run = AnswerBook(tmp_path)  # the scheduled run's, opened first
    served = AnswerBook(tmp_path)  # serve's, open for its whole life
    run.plan(_plan(1, requester_id=50), now=100.0)
    served.plan(_plan(2, requester_id=60), now=101.0)
    run.sent(_plan(1, requester_id=50), now=102.0)

    again = AnswerBook(tmp_path)  # what the next process reads
    assert [plan.ticket_id for plan, _state, _at in again.planned()] == [2]
    assert again.was_sent(1)
    # Each process sees the other's at once: the one sending and the loop guard.
    assert served.was_sent(1)
    assert not served.is_planned(1)
    assert run.is_planned(2)
    assert run.requester_answered_at(60, ticket_id=3) == 101.0


def test_a_reply_another_process_sent_is_not_planned_again(tmp_path: Path) -> None:
    served, run = AnswerBook(tmp_path), AnswerBook(tmp_path)
    served.plan(_plan(4, requester_id=70), now=100.0)
    served.sent(_plan(4, requester_id=70), now=101.0)
    run.plan(_plan(4, requester_id=70), now=102.0)  # planned or sent already: the first stands
    assert AnswerBook(tmp_path).planned() == []
