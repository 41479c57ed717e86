"""Suggested macros on a team's first day, end to end on both helpdesks: ``ticketbot seed`` (four
macros, sixteen solved tickets, thirteen of them answered with a macro) is far too short a
history for the tag, an act agents build views on; and ``macros eval`` is a check that must not
be what turns the suggestions on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.cli import command, invoke
from support.macros_desk import macros_words

from ticket_processor.macros.files import BOOK_FILE, VECTORS_FILE
from ticket_processor.macros.step import APPLY_AFTER
from ticket_processor.sandbox.desks import Desk, NewTicket

macros_cli = command("macros")

# The sample ticket the first-day review saw tagged "Password reset link" at 0.93 to 0.98.
TWO_FACTOR = NewTicket(
    "Lost my phone, locked out by two-factor authentication",
    "My phone was stolen over the weekend and with it the authenticator app. I don't have the "
    "backup codes. How can I prove my identity and reset 2FA? I can send a copy of my ID.",
)
# A question the seed's "Refund issued" answers, which its refund tickets make sure of.
REFUND = NewTicket("Refund please", "Please refund my last payment, the product did not work.")
SAID = f"macros: suggest-only until {APPLY_AFTER} solved tickets answered with a macro"


@pytest.mark.desk(seed=None, configure=True)
def test_a_seeded_history_suggests_in_the_note_and_tags_nothing(desk: Desk) -> None:
    seeded = invoke("seed", "--count", "1")
    assert seeded.exit_code == 0, seeded.output
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    noun, _ = macros_words(desk)
    assert f"4 {noun}; 16 solved tickets" in " ".join(synced.output.split())
    two_factor, refund = desk.create([TWO_FACTOR, REFUND])

    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    for ticket_id in (two_factor, refund):
        shot = desk.snapshot(ticket_id)
        assert not [t for t in shot.tags if t.startswith("ai_macro_")], shot.tags
    [note] = desk.snapshot(refund).notes
    assert "Suggested macros:" in note  # sure enough for a tag, but only suggested
    # The two-factor ticket's nearest solved ticket (Locked out) is too far to speak for
    # "Password reset link": below the neighbours' floor, nothing is suggested.
    [note] = desk.snapshot(two_factor).notes
    assert "Suggested macros:" not in note
    assert f"cautious='{SAID}" in ran.output or f'cautious="{SAID}' in ran.output, ran.output
    health = invoke("health", "--json")
    checks = {c["name"]: c for c in json.loads(health.output)["checks"]}
    assert SAID in checks["cautious judgements"]["reason"], health.output


@pytest.mark.desk(seed=None, configure=True)
def test_eval_before_any_sync_writes_nothing_and_turns_nothing_on(
    desk_kind: str, desk: Desk
) -> None:
    seeded = invoke("seed", "--count", "1")
    assert seeded.exit_code == 0, seeded.output
    measured = macros_cli("eval")
    assert measured.exit_code == 0, measured.output
    assert "held out by time: 1 ticket answered with a macro" in measured.output
    assert "too few held-out tickets" in measured.output
    assert "nothing written" in measured.output
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    assert not (state / BOOK_FILE).exists()
    assert not (state / VECTORS_FILE).exists()

    [ticket_id] = desk.create([TWO_FACTOR])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    [note] = desk.snapshot(ticket_id).notes
    assert "Suggested macros:" not in note  # without a sync the feature is off
