"""A run keeps the similar solved tickets fresh, as it keeps the help-centre index: on each
sandbox, a store older than ``TICKETBOT_KB_MAX_AGE`` is read on from its last sync by the run
(the ticket solved since shows in the next note), a fresh one costs the run no request, and a
dry run reads no history at all."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.solved.history import OVERLAP
from ticket_processor.solved.store import SolvedStore

# How many solved tickets' replies each helpdesk was asked for: Zendesk and Freshdesk read them
# a ticket at a time; ServiceNow a page's journals in one request, naming its records.
PER_TICKET: dict[str, Callable[[dict[str, Any]], int]] = {
    "zendesk": lambda stats: stats["requests"].get("GET /api/v2/tickets/{id}/comments", 0),
    "freshdesk": lambda stats: stats["requests"].get("GET /api/v2/tickets/{id}/conversations", 0),
    "servicenow": lambda stats: stats["journal_records_read"],
}
A_DAY = 86400.0


def _store() -> Path:
    return Path(os.environ["TICKETBOT_STATE_DIR"]) / "solved.sqlite3"


def _synced_refunds(desk: Desk) -> list[int]:
    """Two solved refund tickets on the desk, synced into a new store."""
    solved = time.time() - 3 * OVERLAP  # before the sync's overlap: read once
    ids = [
        desk.import_answered(NewTicket(subject, body), [(reply, solved - 600)], solved)
        for subject, body, reply in [
            (
                "Refund not received",
                "I returned the shoes two weeks ago and the refund is still not on my card.",
                "Hi, the warehouse had not scanned your return; I booked the refund by hand.",
            ),
            (
                "Where is my money back",
                "Sent the jacket back last month, still no refund. What is going on?",
                "Hello, your return was stuck; refund booked by hand now, 3-5 days.",
            ),
        ]
    ]
    synced = invoke("kb", "sync", "--solved", "30d")
    assert synced.exit_code == 0, synced.output
    assert "2 stored" in synced.output
    return ids


def _solved_since(desk: Desk) -> int:
    """A password ticket solved after the sync: only a read on from it finds it."""
    return desk.import_answered(
        NewTicket("Password", "How do I reset my password? The sign-in page rejects it."),
        [
            (
                "Use the Forgot password link on the sign-in page; the link works 30 minutes.",
                time.time() - 60,
            )
        ],
        time.time(),
    )


def _age_store(days: float) -> float:
    """The store as if its last sync were ``days`` ago: when it says it was synced."""
    store = SolvedStore(_store())
    try:
        when = time.time() - days * A_DAY
        store.set_meta("synced_at", str(when))
        return when
    finally:
        store.close()


def _kept() -> tuple[int, str | None]:
    store = SolvedStore(_store(), read_only=True)
    try:
        return store.count(), store.meta("synced_at")
    finally:
        store.close()


@pytest.mark.desk(seed=None, configure=True)
def test_a_run_reads_on_into_a_stale_store_and_the_next_note_shows_it(
    desk_kind: str, desk: Desk
) -> None:
    _synced_refunds(desk)
    password = _solved_since(desk)
    desk.reset_stats()
    fresh = invoke("run", "--engine", "rules")  # synced just now: nothing read
    assert fresh.exit_code == 0, fresh.output
    assert PER_TICKET[desk_kind](desk.stats()) == 0
    assert _kept()[0] == 2

    _age_store(2)  # older than the default maximum age, a day
    (new,) = desk.create([NewTicket("Sign-in", "How can I reset my password? I forgot it.")])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    (note,) = desk.snapshot(new).notes
    assert note is not None
    lines = note.split("\n")
    start = lines.index("Similar solved tickets:")
    assert lines[start + 1].startswith(f"#{password} ")  # the ticket solved since the sync
    count, synced_at = _kept()
    assert count == 3
    assert synced_at is not None
    assert time.time() - float(synced_at) < A_DAY  # fresh again


@pytest.mark.desk(seed=None, configure=True)
def test_a_dry_run_reads_no_history(desk_kind: str, desk: Desk) -> None:
    _synced_refunds(desk)
    _solved_since(desk)
    stale = _age_store(2)
    desk.reset_stats()
    ran = invoke("run", "--dry-run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert PER_TICKET[desk_kind](desk.stats()) == 0
    assert _kept() == (2, str(stale))  # nothing read, the store as it was
