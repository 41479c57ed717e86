"""The escalations' outbox is a SQLite file that a cron run, ``serve`` and a backfill's shards
open at once, on a first run with no file there yet. Turning the new file to WAL meets the
other openers' locks, and SQLite answers that with "database is locked" at once, without
waiting: CI met it (six deliverers at once, one escalation never recorded, never paged). An
opener now waits for the others as a write does."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from ticket_processor.alerts.outbox import OUTBOX_FILE, Outbox, Recorded

HELD_SECONDS = 0.5


def test_an_escalation_recorded_while_another_opener_holds_the_new_file_is_kept(
    tmp_path: Path,
) -> None:
    # Another process is half-way through creating the file: a write transaction of its own on
    # the new file, not yet in WAL.
    tmp_path.mkdir(exist_ok=True)
    other = sqlite3.connect(tmp_path / OUTBOX_FILE, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE IF NOT EXISTS note (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    released = threading.Timer(HELD_SECONDS, lambda: other.execute("COMMIT"))
    released.start()
    try:
        recorded = Outbox(tmp_path).record(
            [Recorded(7, 1.0, "Site down", "https://x/7", ("hot",))], lambda item: ["pagerduty"]
        )
    finally:
        released.join()
        other.close()
    assert recorded == [7]
    (owed,) = Outbox(tmp_path).owed(["pagerduty"], since=0)
    assert (owed.escalation.ticket_id, owed.channel) == (7, "pagerduty")


def test_escalations_recorded_at_once_in_a_new_outbox_are_all_kept(tmp_path: Path) -> None:
    """Eight openers released together on each of ten new files: every one's escalation kept."""
    openers = 8
    for trial in range(10):
        state = tmp_path / f"state{trial}"
        start = threading.Barrier(openers)
        raised: list[BaseException] = []

        def record(
            n: int,
            state: Path = state,
            start: threading.Barrier = start,
            raised: list[BaseException] = raised,
        ) -> None:
            outbox = Outbox(state)
            start.wait()
            try:
                outbox.record([Recorded(n, 1.0, f"ticket {n}", "u", ("hot",))], lambda i: ["x"])
            except sqlite3.Error as exc:
                raised.append(exc)

        threads = [threading.Thread(target=record, args=(n,)) for n in range(openers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert raised == []
        assert [e.ticket_id for e in Outbox(state).escalated_since(0)] == list(range(openers))
