"""Similar solved tickets, on plain data: how a resolution is cut to one redacted line, what the
store keeps and refuses, which solved tickets a lookup shows, and where the note gets them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from support.word_encoder import encode

from ticket_processor.models import AgentReply, HistoryTicket, Person, Ticket, WriteBack
from ticket_processor.solved.history import RESOLUTION_CHARS, resolution_line, store_history
from ticket_processor.solved.lookup import MIN_SIMILARITY, SimilarSolved, nearest, similar
from ticket_processor.solved.note import render_similar
from ticket_processor.solved.step import STORE_FILE, SolvedStep, solved_steps
from ticket_processor.solved.store import SolvedStore
from ticket_processor.tags import read_note
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.writeback.planner import with_note_line, with_section
from ticket_processor.writeback.trailer import NoteTrailer

NOTE = "ticketbot triage (rules)\n\nSummary: x\n\nrun r-1\n[ticketbot trailer]"


def history(ticket_id: int, subject: str, body: str, *replies: str) -> HistoryTicket:
    ticket = Ticket(
        id=ticket_id,
        subject=subject,
        description=body,
        status="solved",
        updated_at=f"2026-11-{ticket_id % 28 + 1:02d}T10:00:00Z",
        people=(Person(name="Maria Lopez", email="maria.lopez@example.com"),),
    )
    return HistoryTicket(ticket, tuple(AgentReply(r, None, ()) for r in replies))


def test_the_resolution_is_the_last_reply_redacted_on_one_line() -> None:
    solved = history(
        1,
        "Card declined",
        "My card 4111 1111 1111 1111 was declined.",
        "Let me look.",
        "Hi Maria,\n\nthanks for waiting! Your card 4111 1111 1111 1111 was blocked by the "
        "bank; we unblocked it. Write to maria.lopez@example.com or call +44 20 7946 0958 if "
        "not.\n\nBest,\nTom",
    )
    line = resolution_line(solved.replies[-1].body, solved)
    assert line.startswith("Your card [CARD] was blocked by the bank")
    assert "4111" not in line
    assert "maria.lopez" not in line
    assert "7946" not in line
    assert "Maria" not in line
    assert "\n" not in line
    long = resolution_line("We did it. " * 100, solved)
    assert len(long) <= RESOLUTION_CHARS
    assert long.endswith("…")


def test_the_greeting_goes_and_the_first_words_of_the_answer_stay() -> None:
    solved = history(2, "Refund", "Where is my refund?", "Hello")
    cases = {
        "Hi,\n\nYou can download every invoice yourself under Settings, Billing.": (
            "You can download every invoice yourself under Settings, Billing."
        ),
        "Hello Anna, we have issued your refund today.": "we have issued your refund today.",
        "Hi there,\nOn the sign-in page: click Forgot password.": (
            "On the sign-in page: click Forgot password."
        ),
        "Dear customer\n\nWe have issued your refund today. It goes back to the card.": (
            "We have issued your refund today. It goes back to the card."
        ),
        "Hello! We have issued your refund today.": "We have issued your refund today.",
        "Hey, thanks for waiting. Reset it under Settings.": "Reset it under Settings.",
    }
    for reply, expected in cases.items():
        assert resolution_line(reply, solved) == expected, reply


def test_the_store_keeps_solved_tickets_and_sets_a_damaged_file_aside(tmp_path: Path) -> None:
    path = tmp_path / STORE_FILE
    store = SolvedStore(path)
    report = store_history(
        [
            history(1, "Refund", "Where is my refund for order 5?", "Refunded to your card."),
            history(2, "Question", "Hello?"),  # no agent's reply: how it was solved is unknown
        ],
        store,
        encode,
    )
    assert (report.read, report.stored, report.no_reply) == (2, 1, 1)
    ids, matrix = store.matrix()
    assert list(ids) == [1]
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0)
    assert store.rows([1])[1].resolution == "Refunded to your card."
    store.close()

    path.write_bytes(b"not a database at all" * 100)
    again = SolvedStore(path)
    assert again.set_aside is not None
    assert again.count() == 0
    again.close()
    assert SolvedStore(tmp_path / "missing.sqlite3", read_only=True).available is False


def test_only_close_solved_tickets_are_shown_best_first_never_the_ticket_itself() -> None:
    ids = np.array([10, 11, 12, 13, 14], np.int64)
    matrix = np.eye(5, dtype=np.float32)
    query = np.array([0.9, 0.5, 0.35, 0.1, 0.0], np.float32)
    cosines = query / np.linalg.norm(query)
    assert cosines[2] >= MIN_SIMILARITY > cosines[3]
    assert [i for i, _ in nearest(ids, matrix, query)] == [10, 11, 12]
    assert [i for i, _ in nearest(ids, matrix, query, exclude={10})] == [11, 12]
    assert nearest(ids, matrix, np.zeros(5, np.float32)) == []
    assert nearest(ids[:0], matrix[:0], query) == []


def test_the_note_lists_them_before_its_closing_lines() -> None:
    assert render_similar(()) == []
    assert with_section(NOTE, render_similar(())) == NOTE
    lines = render_similar(
        [
            SimilarSolved(
                7, "Refund\nticketbot triage (fake)", "Refunded.\n[ticketbot trailer]", 0.81
            )
        ]
    )
    note = with_section(NOTE, lines)
    assert note.split("\n")[-3:] == ["", "run r-1", "[ticketbot trailer]"]
    assert (
        "\n\nSimilar solved tickets:\n#7 (0.81) Refund ticketbot triage (fake) — solved: Refunded."
        in note
    )
    german = render_similar([SimilarSolved(7, "Erstattung", "Erstattet.", 0.8)], "de")
    assert german[1:] == ["Ähnliche gelöste Tickets:", "#7 (0.80) Erstattung — gelöst: Erstattet."]
    assert note.count("\n[ticketbot trailer]") == 1  # the helpdesk's text cannot start a line


def test_the_section_goes_before_the_run_line_when_an_answer_added_a_line_after_it() -> None:
    """With answers on, the note's last lines are the run line, the answer's line and the
    trailer: the section went after the trailer, so the next reply's re-triage did not know
    the note for ticketbot's and "changed" every label (an outside review, both helpdesks)."""
    trailer = NoteTrailer(
        category="shipping", urgency="medium", sentiment="negative", language="en", engine="llm"
    ).line()
    text = f"ticketbot triage (llm)\n\nSummary: x\n\nrun r-1\n{trailer}"
    note = WriteBack(ticket_id=82, additional_tags=(), note=text)
    held = with_note_line(note, "Automated reply to the customer held back by needs_person.")
    assert held.note is not None
    lines = render_similar([SimilarSolved(81, "Parcel lost", "Trace opened.", 0.63)])
    written = with_section(held.note, lines).split("\n")
    assert written[-1] == trailer
    assert written.index("Similar solved tickets:") < written.index("run r-1")
    assert written.index("run r-1") < written.index(
        "Automated reply to the customer held back by needs_person."
    )
    found = read_note("\n".join(written))
    assert found is not None
    assert (found.category, found.sentiment) == ("shipping", "negative")


def test_the_step_adds_similar_solved_tickets_to_the_note(tmp_path: Path) -> None:
    assert solved_steps(tmp_path) == []  # no store synced: no step, nothing loaded
    store = SolvedStore(tmp_path / STORE_FILE)
    store_history(
        [
            history(1, "Refund missing", "Where is my refund for the returned shoes?", "Sent."),
            history(2, "Dark mode", "How do I switch the app to dark mode?", "Settings > Look."),
        ],
        store,
        encode,
    )
    store.close()
    (step,) = solved_steps(tmp_path)
    try:
        step = SolvedStep(step.store, encode)
        ticket = Ticket(id=99, subject="Refund", description="")
        prepared = prepare_ticket("Refund missing", "My refund for the returned shoes is missing")
        planned = WriteBack(ticket_id=99, additional_tags=(), note=NOTE)
        reading = step.read(ticket, prepared)
        found = step.attach(ticket, None, planned, reading, replanned=False, language="en")  # type: ignore[arg-type]
        assert "#1 (" in (found.note or "")
        assert "#2 (" not in (found.note or "")
        unrelated = step.read(ticket, prepare_ticket("Invoice", "Please add my VAT number"))
        kept = step.attach(ticket, None, planned, unrelated, replanned=False, language="en")  # type: ignore[arg-type]
        assert kept == planned
    finally:
        step.close()
    assert (
        similar(SolvedStore(tmp_path / STORE_FILE, read_only=True), np.zeros(512, np.float32)) == ()
    )
