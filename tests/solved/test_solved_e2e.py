"""Similar solved tickets end to end, on each sandbox: the team's solved history imported through
the helpdesk's own import path, read by ``kb sync --solved`` through the adapter (each ticket's
agents' public replies), stored with the real encoder's vectors and a redacted one-line
resolution, and found for a new ticket by a real ``ticketbot run`` (its step in
``run/order.ticket_steps``), from the one vector of its text. What the note showed is kept in
the audit store (ids and similarities, none of their text) and shown on the dashboard's ticket
page."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from support.cli import invoke

from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.solved.history import OVERLAP
from ticket_processor.solved.step import solved_steps
from ticket_processor.solved.store import SolvedStore
from ticket_processor.writeback.note import read_note

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
    # Solved well before the sync's overlap (``solved.history.OVERLAP``): a sync started in
    # the same second as the import would otherwise read them again, as it is meant to.
    now = time.time() - 3 * OVERLAP
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

    (new,) = desk.create(
        [NewTicket("My refund", "I sent the boots back weeks ago and got no refund yet.")]
    )
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(new).notes
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
    assert lines[-2].startswith("run ")  # the run's id and the trailer stay last
    assert read_note(note) is not None
    store = SolvedStore(tmp_path / "state" / "solved.sqlite3", read_only=True)
    try:
        assert store.count() == 5
    finally:
        store.close()

    # Kept with the decision: the solved tickets the note showed, by id, best first.
    settings = load_settings(dict(os.environ))
    with open_store(settings) as audit:
        history = audit.ticket_history(new)
    [written] = [d for d in history.decisions if d.status == "written"]
    kept = (written.event or {}).get("similar_solved")
    assert kept is not None, written.event
    assert {k["id"] for k in kept[:2]} == {ids[0], ids[1]}
    assert [k["similarity"] for k in kept] == sorted((k["similarity"] for k in kept), reverse=True)
    assert "booked" not in str(written.event)  # no resolution text in the store's event
    config = DashboardConfig(open_store=lambda: open_store(settings), access=Access(token=None))
    with serve_in_thread(build_app(config)) as url:
        page = httpx.get(f"{url}/tickets/{new}", timeout=60)
    assert page.status_code == 200, page.text
    section = page.text.split('id="solved"', 1)[1].split("</section>", 1)[0]
    assert "Similar solved tickets" in section
    assert f"#{ids[0]}" in section
    assert f"#{ids[1]}" in section
