"""The answers' book swapped under a run for a valid empty or older copy (a restore, a sync
tool, a person): 40 notes once announced "Reply to be sent" and none went out, without a word.
The book numbers each write; a file read back with a lower number lost what this process wrote,
which is put back (``lost`` names the tickets, the run warns); another process's own writes
(``serve`` beside the run) only raise the number and are never taken for a swap.
"""

from __future__ import annotations

import os
from pathlib import Path

from ticket_processor.answers.book import BOOK, AnswerBook
from ticket_processor.answers.vocab import AnswerPlan


def _plan(ticket_id: int, requester_id: int = 7) -> AnswerPlan:
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


def _swap(tmp_path: Path, text: bytes) -> None:
    """The file replaced whole, as a restore or a sync tool does (a new file, renamed over)."""
    other = tmp_path / "copy.json"
    other.write_bytes(text)
    os.replace(other, tmp_path / BOOK)


def test_a_book_swapped_for_an_empty_copy_puts_back_the_replies_it_planned(
    tmp_path: Path,
) -> None:
    book = AnswerBook(tmp_path)
    for ticket_id in (1, 2, 3):
        book.plan(_plan(ticket_id), now=100.0)
    book.sending(3)
    _swap(tmp_path, b"{}")  # valid, and empty
    assert [(plan.ticket_id, state) for plan, state, _ in book.planned()] == [
        (1, "planned"),
        (2, "planned"),
        (3, "sending"),  # the next send reads the conversation first
    ]
    assert book.lost == {1, 2, 3}
    book.sent(_plan(1), now=110.0)  # the next write keeps what was put back
    assert [plan.ticket_id for plan, _, _ in AnswerBook(tmp_path).planned()] == [2, 3]


def test_a_book_swapped_for_an_older_copy_keeps_its_loop_guard(tmp_path: Path) -> None:
    book = AnswerBook(tmp_path)
    book.plan(_plan(1, requester_id=50), now=100.0)
    older = (tmp_path / BOOK).read_bytes()
    book.sent(_plan(1, requester_id=50), now=110.0)
    book.plan(_plan(2), now=120.0)
    _swap(tmp_path, older)
    assert book.was_sent(1)
    assert book.requester_answered_at(50, ticket_id=9) == 110.0
    assert [plan.ticket_id for plan, _, _ in book.planned()] == [2]  # 1 was sent: not again
    assert book.lost == {1, 2}


def test_another_processes_writes_are_no_swap(tmp_path: Path) -> None:
    run = AnswerBook(tmp_path)
    served = AnswerBook(tmp_path)
    run.plan(_plan(1), now=100.0)
    served.plan(_plan(2), now=101.0)
    served.sent(_plan(1), now=102.0)  # serve sent the run's reply: settled, not lost
    served.drop(2)
    assert run.planned() == []
    assert run.was_sent(1)
    assert run.lost == set()
    assert served.lost == set()


def test_an_untouched_book_loses_nothing(tmp_path: Path) -> None:
    book = AnswerBook(tmp_path)
    book.plan(_plan(1), now=100.0)
    book.drop(1)
    _swap(tmp_path, (tmp_path / BOOK).read_bytes())  # the same content, a new file
    assert book.planned() == []
    assert book.lost == set()
