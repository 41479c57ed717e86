"""The keyword rules' summary drops a greeting and nothing else, on each sandbox through the CLI:
a prize mail's "Hello, click http://win-prize..." kept its greeting's end at the link's colon,
so the note read ": //win-prize..." (the scheme and the word before it eaten, the rest of the
address left half a link). Now the note says "click" and the link is removed as every link in
a note's summary is (``triage.note_text``)."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.triage.rules import summarise

PRIZE = NewTicket(
    "You have won a prize",
    "Hello, click http://win-prize.example/claim?id=7 to claim your reward before Friday.",
)


def test_a_greeting_ends_at_its_first_mark_never_inside_a_link() -> None:
    assert summarise("Prize", "Hello, click http://win-prize.example/claim now") == (
        "Prize: click http://win-prize.example/claim now"
    )
    assert summarise("Prize", "Hello click http://win-prize.example/claim now") == (
        "Prize: Hello click http://win-prize.example/claim now"
    )
    # A later comma is the customer's sentence, not the greeting's.
    assert summarise("Shoes", "Hello, I ordered shoes, but they never came.") == (
        "Shoes: I ordered shoes, but they never came."
    )
    assert summarise("Export", "Dear team: the export fails.") == "Export: the export fails."


@pytest.mark.desk(configure=True)
def test_the_note_keeps_the_word_before_a_link(desk: Desk) -> None:
    (ticket_id,) = desk.create([PRIZE])
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    (note,) = desk.snapshot(ticket_id).notes
    assert "click [link removed] to claim your reward" in note, note
    assert "//win-prize" not in note
