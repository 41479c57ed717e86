"""The macros' decisions on plain data: which macro a reply used, the neighbours' vote, the
note's section and the book on disk."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pytest

from ticket_processor.macros.book import BookUnreadable, MacroBook, SolvedExample, load, save
from ticket_processor.macros.learn import ReplyMatcher
from ticket_processor.macros.match import MacroChoice, MacroMatcher
from ticket_processor.macros.setup import macro_steps
from ticket_processor.macros.step import note_lines
from ticket_processor.macros.sync import build_book
from ticket_processor.models import AgentReply, Helpdesk, HistoryTicket, Ticket
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.passes.types import RunOptions
from ticket_processor.writeback.planner import with_section

REFUND = ReadyReply(
    1, "Refund on its way", "Your refund was sent today and arrives in 5 days.", True
)
RESET = ReadyReply(
    2, "Password reset", "Use the reset link on the sign-in page to choose one.", True
)
THANKS = ReadyReply(3, "Thanks", "Thanks!", True)


def test_a_reply_used_the_macro_whose_words_it_holds_greeting_and_edits_aside() -> None:
    matcher = ReplyMatcher([REFUND, RESET, THANKS])
    edited = "Hi Ana,\n\nYour refund was sent today and arrives in about 5 days.\n\nBest, Sam"
    assert matcher.used(edited) == 1
    assert matcher.used("Use the reset link on the sign-in page to choose a new one.") == 2
    assert matcher.used("I have refunded you myself, sorry for the wait.") is None
    assert matcher.used("Thanks!") is None  # too short a macro to recognise
    assert matcher.first_used(["Let me check.", edited]) == 1


def test_placeholders_are_not_words_a_reply_must_hold() -> None:
    templated = ReadyReply(
        4,
        "Hello",
        "Hi {{ticket.requester.first_name}}, your parcel left our warehouse today.",
        True,
    )
    assert ReplyMatcher([templated]).used("Hi Ana, your parcel left our warehouse today.") == 4


def _vector(*values: float) -> np.ndarray:
    return np.asarray(values, np.float32)


def test_the_vote_suggests_the_macro_its_neighbours_used_and_none_far_from_all() -> None:
    history = np.asarray([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0.95, 0.05]], np.float32)
    labels = np.asarray([1, 1, 0, 0], np.int64)  # tickets 3, 4: answered without a macro
    macros = np.asarray([[1, 0.05, 0], [0.6, 0, 0.8]], np.float32)
    matcher = MacroMatcher(history, labels, macros, [1, 2])
    [best, *_] = matcher.suggest(_vector(1, 0.02, 0))
    assert best.macro_id == 1
    assert best.confidence > 0.9
    assert matcher.suggest(_vector(0, 1, 0)) == []  # a kind answered without macros
    assert matcher.suggest(_vector(0, 0, -1)) == []  # like nothing the team knows
    assert len(matcher.suggest(_vector(0.8, 0, 0.5))) <= 3


def test_no_macros_no_suggestion() -> None:
    empty = MacroMatcher(
        np.zeros((0, 3), np.float32), np.zeros(0, np.int64), np.zeros((0, 3), np.float32), []
    )
    assert empty.empty
    assert empty.suggest(_vector(1, 0, 0)) == []


def test_the_section_goes_before_the_run_line_and_trailer_and_quotes_a_title_like_ours() -> None:
    hostile = ReadyReply(
        9, "Category: other\nrun r0\nticketbot:v1 category=spam", "Nothing.", False
    )
    book = MacroBook(
        [REFUND, hostile], [], np.zeros((0, 3), np.float32), np.zeros((2, 3), np.float32)
    )
    section = note_lines(book, [MacroChoice(1, 0.93), MacroChoice(9, 0.4)])
    assert section[1:3] == ["Suggested macros:", "- Refund on its way (macro 1, confidence 0.93)"]
    assert "internal note" in section[3]
    assert len(section) == 4  # a title's line breaks make no lines of their own
    note = "ticketbot triage (rules)\n\nSummary: x\n\nrun r1\n<!-- trailer -->"
    changed = with_section(note, section).split("\n")
    assert changed[-2:] == ["run r1", "<!-- trailer -->"]
    assert changed.index("Suggested macros:") < changed.index("run r1")


def test_the_book_round_trips_and_a_torn_book_is_refused(tmp_path: Path) -> None:
    book = MacroBook(
        [REFUND],
        [SolvedExample(5, 1.0, 1), SolvedExample(6, 2.0, None)],
        np.ones((2, 4), np.float32),
        np.ones((1, 4), np.float32),
        synced_at=10.0,
    )
    save(book, tmp_path)
    again = load(tmp_path)
    assert again.macros == [REFUND]
    assert again.history == book.history
    assert again.labels().tolist() == [1, 0]
    (tmp_path / "macros.json").write_text('{"version": 1, "macros": [], "history": []}')
    with pytest.raises(BookUnreadable):
        load(tmp_path)


def test_a_book_whose_vectors_are_another_syncs_is_refused_though_the_shapes_agree(
    tmp_path: Path,
) -> None:
    """What a long-lived ``serve`` could read between a later sync's two writes."""
    history = [SolvedExample(5, 1.0, 1), SolvedExample(6, 2.0, None)]
    first = MacroBook([REFUND], history, np.ones((2, 4), np.float32), np.ones((1, 4), np.float32))
    save(first, tmp_path)
    book = (tmp_path / "macros.json").read_bytes()
    later = MacroBook([REFUND], history, np.zeros((2, 4), np.float32), first.macro_vectors)
    save(later, tmp_path)
    (tmp_path / "macros.json").write_bytes(book)  # the first sync's book, the later's vectors
    with pytest.raises(BookUnreadable, match="of two syncs"):
        load(tmp_path)


def test_a_recorded_macro_wins_over_the_replys_words_and_an_internal_one_is_not_learned() -> None:
    note = ReadyReply(7, "Escalate", "Billing team, please look at this charge now.", False)

    def solved(ticket_id: int, reply: str) -> HistoryTicket:
        ticket = Ticket(id=ticket_id, subject="", description="x", status="solved")
        return HistoryTicket(ticket, (AgentReply(reply, None, ()),))

    book = build_book(
        [REFUND, note],
        [
            (solved(1, "All sorted for you."), (1,)),  # applied, reworded
            (solved(2, REFUND.text), ()),  # no record: the words tell
            (solved(3, "Looking into it."), (7,)),  # an internal note's macro: not an answer
        ],
        lambda texts: np.zeros((len(texts), 4), np.float32),
        now=100.0,
    )
    assert [e.macro_id for e in book.history] == [1, 1, None]


def test_a_damaged_book_is_said_once_and_the_run_goes_on_without_macros(tmp_path: Path) -> None:
    (tmp_path / "macros.json").write_text("{not json")
    warnings: list[str] = []
    steps = macro_steps(tmp_path, cast(Helpdesk, None), RunOptions(), 86400.0, warnings)
    assert steps == []
    assert len(warnings) == 1
    assert "ticketbot macros sync" in warnings[0]


def test_without_a_sync_there_is_no_step_and_nothing_is_read(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert macro_steps(tmp_path, cast(Helpdesk, None), RunOptions(), 86400.0, warnings) == []
    assert warnings == []


def test_far_neighbours_of_one_macro_do_not_outvote_none() -> None:
    """Five solved refunds, all far from a ticket of a kind the team never answered: each
    votes "none" below the floor, where they once gave their macro 0.95."""
    ticket = _vector(1, 0, 0)
    far = [
        [0.45, np.sqrt(1 - 0.45**2) * w, np.sqrt(1 - 0.45**2) * (1 - w**2) ** 0.5]
        for w in (0.2, 0.4, 0.6, 0.8, 1.0)
    ]
    history = np.asarray(far, np.float32)
    matcher = MacroMatcher(history, np.ones(5, np.int64), np.asarray([[0, 1, 0]], np.float32), [1])
    assert matcher.suggest(ticket) == []
    near = np.asarray([[0.9, 0.43, 0], *far[1:]], np.float32)  # one close refund speaks
    assert [
        c.macro_id
        for c in MacroMatcher(near, np.ones(5, np.int64), history[:1], [1]).suggest(ticket)
    ] == [1]
