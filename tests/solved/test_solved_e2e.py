"""Similar solved tickets end to end, on each sandbox: the team's solved history imported through
the helpdesk's own import path, read by ``kb sync --solved`` through the adapter (each ticket's
agents' public replies), stored with the real encoder's vectors and a redacted one-line
resolution, and found for a new ticket by the step ``run/order.ticket_steps`` lists, from the
one vector of its text (the step is called here as the run calls it: the run's calls to the
steps come with the per-ticket seam)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.models import Ticket, WriteBack
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.solved.step import SolvedStep, solved_steps
from ticket_processor.solved.store import SolvedStore
from ticket_processor.triage.prepare import prepare_ticket

NOTE = "ticketbot triage (rules)\n\nSummary: x\n\nrun r-1\n[ticketbot trailer]"

HISTORY = [
    (
        "Refund not received",
        "I returned the shoes two weeks ago and the refund is still not on my card.",
        "Hi there,\n\nthe warehouse had not scanned your return; I booked the refund by hand, it "
        "reaches your card in 3-5 days. Questions: refunds@example.com.\n\nBest,\nTom",
    ),
    (
        "Where is my money back",
        "Sent the jacket back last month, still no refund. What is going on?",
        "Hello,\n\nyour return was stuck at the warehouse; refund booked by hand now, 3-5 days.",
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


@pytest.mark.desk(configure=True)
def test_kb_sync_reads_the_solved_history_and_a_new_ticket_finds_how_it_was_solved(
    desk: Desk, tmp_path: Path
) -> None:
    now = time.time()
    ids = [
        desk.import_answered(NewTicket(subject, body), [(reply, now - 7200)], now - 3600)
        for subject, body, reply in HISTORY
    ]
    assert invoke("kb", "sync").exit_code == 0
    assert not solved_steps(tmp_path / "state")  # not asked for: nothing read, no step

    synced = invoke("kb", "sync", "--solved", "30d")
    assert synced.exit_code == 0, synced.output
    assert "solved tickets synced: 4 read; 4 stored" in synced.output
    desk.import_answered(  # solved since: the next sync reads it, and only it
        NewTicket("Password", "How do I reset my password?"),
        [("Use the Forgot password link on the sign-in page.", time.time() - 60)],
        time.time(),
    )
    again = invoke("kb", "sync")  # once read, every sync keeps it fresh
    assert "solved tickets synced: 1 read; 1 stored" in again.output

    (step,) = solved_steps(tmp_path / "state")
    try:
        assert isinstance(step, SolvedStep)
        ticket = Ticket(id=10_000, subject="Refund")
        text = step.read(
            ticket,
            prepare_ticket("My refund", "I sent the boots back weeks ago and got no refund yet."),
        )
        planned = WriteBack(ticket_id=10_000, additional_tags=(), note=NOTE)
        note = step.attach(ticket, None, planned, text, replanned=False, language="en").note  # type: ignore[arg-type]
    finally:
        step.close()
    assert note is not None
    lines = note.split("\n")
    start = lines.index("Similar solved tickets:")
    shown = lines[start + 1 : lines.index("", start)]
    assert {line.split(" ")[0] for line in shown[:2]} == {f"#{ids[0]}", f"#{ids[1]}"}
    assert all(f"#{i} " not in note for i in ids[2:])  # nothing like the dark mode or VAT
    assert "refund booked by hand" in note or "booked the refund by hand" in note
    assert "refunds@example.com" not in note
    assert "[EMAIL]" in note
    assert "Tom" not in note  # the agent's sign-off
    assert lines[-2:] == ["run r-1", "[ticketbot trailer]"]
    store = SolvedStore(tmp_path / "state" / "solved.sqlite3", read_only=True)
    try:
        assert store.count() == 5
    finally:
        store.close()
