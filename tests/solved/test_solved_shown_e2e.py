"""A similar solved ticket shows nothing of its customer in an unrelated customer's note, on
each sandbox: another customer's name, licence plate, the password an agent set and the
two-factor backup codes an agent gave were shown whole (the stored redaction reads a message in
its own ticket, and lets those through). ``solved.shown`` says what is replaced and why.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.solved.history import OVERLAP
from ticket_processor.solved.shown import from_another_customer

HISTORY = [
    (
        "Locked out of my account",
        "I am locked out of my account after too many sign-in attempts. Please unlock it.",
        "Hello,\n\nI have set your password to Summer2024! and your new backup codes are "
        "48219920 11223344; sign in and change both, Maria.\n\nBest,\nTom",
    ),
    (
        "Parking permit for my car",
        "Please move my parking permit to the new garage for my car.",
        "Hello,\n\nthe permit of Jan Vermeulen (licence plate AB-123-CD) now opens the new "
        "garage.\n\nBest,\nTom",
    ),
]
NEW = [
    NewTicket(
        "Locked out after sign-in attempts",
        "I am locked out of my account after several sign-in attempts, please unlock it.",
    ),
    NewTicket("Parking permit", "How do I move my parking permit to the new garage for my car?"),
]
LEAKS = ("Summer2024", "48219920", "11223344", "Maria", "Vermeulen", "AB-123-CD")


@pytest.mark.desk(configure=True)
def test_a_similar_solved_ticket_shows_no_other_customers_data(desk: Desk, tmp_path: Path) -> None:
    now = time.time() - 3 * OVERLAP
    for subject, body, reply in HISTORY:
        desk.import_answered(NewTicket(subject, body), [(reply, now - 7200)], now - 3600)
    synced = invoke("kb", "sync", "--solved", "30d")
    assert synced.exit_code == 0, synced.output
    assert "2 stored" in synced.output
    ids = desk.create(NEW)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    for ticket_id in ids:
        (note,) = desk.snapshot(ticket_id).notes
        assert "Similar solved tickets" in note  # shown: only what it shows is redacted
        assert [leak for leak in LEAKS if leak in note] == []
    notes = "\n".join(desk.snapshot(i).notes[0] for i in ids)
    assert "[SECRET]" in notes
    assert "[PLATE]" in notes


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "I have set your password to Summer2024! so you can sign in, Maria.",
            "I have set your password to [SECRET] so you can sign in, [NAME].",
        ),
        (
            "Your temporary password is Xk9#pLm2q, change it.",
            "Your temporary password is [SECRET], change it.",
        ),
        ("Backup codes: 48219920 11223344", "Backup codes: [SECRET] [SECRET]"),
        ("Your PIN is 4821.", "Your PIN is [SECRET]."),
        ("Booked for Maria Gonzalez on Friday.", "Booked for [NAME] on Friday."),
        ("Mr. Peter Hansen had the same issue.", "Mr. [NAME] had the same issue."),
        ("Kennzeichen M-AB 1234 freigeschaltet.", "Kennzeichen [PLATE] freigeschaltet."),
        ("The car KX72 ZTB is parked.", "The car [PLATE] is parked."),
    ],
)
def test_another_customers_data_is_replaced(text: str, shown: str) -> None:
    assert from_another_customer(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "Click Forgot password on the sign-in page and follow the link we send you.",
        "The reset link works once and for 30 minutes; request a new one.",
        "Error code 500 means the export timed out.",
        "Upgrade to Business for 25 seats, from Monday.",
    ],
)
def test_a_how_to_resolution_is_shown_as_it_is(text: str) -> None:
    assert from_another_customer(text) == text
