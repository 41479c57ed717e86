"""With ``TICKETBOT_SOLVED_SHARED_WORDS``, a new question the team has not solved before gets no
similar solved ticket in its note, and one it has still does, end to end on every helpdesk: the
history imported solved through the helpdesk's own import path, ``kb sync --solved``, a real
run. On the cosine floor alone the unrelated questions below were shown a solved ticket (a
damaged parcel the refund at 0.35, the app's font size the dark theme at 0.32): the encoder
cannot tell related from unrelated at such cosines, the words they share can.

Off by default (``solved.lookup`` says why); the default's own behaviour is
``test_solved_e2e``'s.
"""

from __future__ import annotations

import time

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.solved.history import OVERLAP

HISTORY = [
    (
        "Refund not received",
        "I returned the shoes two weeks ago and the refund is still not on my card.",
        "Hello,\n\nthe warehouse had not scanned your return; refund booked by hand, 3-5 days.",
    ),
    (
        "Dark theme",
        "Is there a dark mode in the mobile app? The white screen hurts at night.",
        "Hi!\n\nYes: open Settings, then Appearance, and pick Dark.",
    ),
    (
        "VAT on invoices",
        "Our invoices need our VAT number and company address. Where do I add them?",
        "Hello,\n\nadd them under Billing, then Company details; new invoices carry them.",
    ),
]
UNRELATED = [
    NewTicket(
        "Order arrived damaged",
        "The parcel came today and the box was crushed, the shoes inside are scuffed.",
    ),
    NewTicket(
        "Font size in the app",
        "The text in the mobile app is too small to read. Can I make it bigger?",
    ),
]
RELATED = NewTicket(
    "Refund for returned shoes",
    "I returned the shoes two weeks ago and still have no refund on my card.",
)


@pytest.mark.desk(configure=True)
def test_an_unrelated_question_gets_no_solved_ticket_and_a_related_one_does(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time() - 3 * OVERLAP  # solved before the sync's overlap: read once
    solved = [
        desk.import_answered(NewTicket(subject, body), [(reply, now - 7200)], now - 3600)
        for subject, body, reply in HISTORY
    ]
    synced = invoke("kb", "sync", "--solved", "30d")
    assert synced.exit_code == 0, synced.output
    assert "3 stored" in synced.output
    monkeypatch.setenv("TICKETBOT_SOLVED_SHARED_WORDS", "true")
    *unrelated, related = desk.create([*UNRELATED, RELATED])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    for ticket_id in unrelated:
        (note,) = desk.snapshot(ticket_id).notes
        assert "Similar solved tickets" not in note, note
        assert not any(f"#{i} " in note for i in solved)
    (note,) = desk.snapshot(related).notes
    assert "Similar solved tickets:" in note
    lines = note.split("\n")
    first = lines[lines.index("Similar solved tickets:") + 1]
    assert first.startswith(f"#{solved[0]} ")
    assert "refund booked by hand" in first
