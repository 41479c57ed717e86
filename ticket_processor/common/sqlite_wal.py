"""SQLite files that several processes open at once: turning a new file to WAL.

The audit store, the escalations' outbox and ``serve``'s delivery queue are SQLite files in
WAL mode that a cron run, ``serve`` and a backfill's shards may open at the same moment, on a
first run with none of them there yet. ``enter_wal`` is the one way each of them says
``PRAGMA journal_mode = WAL``.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

WAL_WAIT_SECONDS = 30.0  # as long as a write waits for another's transaction


def enter_wal(conn: sqlite3.Connection | Any, *, wait: float = WAL_WAIT_SECONDS) -> None:
    """``PRAGMA journal_mode = WAL``, waiting for other connections as a write does.

    Turning a new file to WAL takes its exclusive lock, and SQLite answers "database is
    locked" at once, without the busy handler, to a connection that meets another one doing
    the same (several processes or threads opening one new file at once): try again until
    ``wait`` seconds have passed. A file in WAL already answers at once. ``conn``: a
    ``sqlite3`` connection, or a driver connection SQLAlchemy hands to a ``connect`` event."""
    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
