"""``health``'s whole-file check of the embedded store is made at most every ten minutes a
process: ``serve``'s readiness asks for health every 15 s, and SQLite's check reads every page
of a store that only grows. Damage once found stays said until the path names another file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from support.damage import damage_pages

from ticket_processor.audit.writer import FILE_NAME
from ticket_processor.ops.health_stores import RECHECK_SECONDS, embedded_store_verdict


def a_store(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("CREATE TABLE decisions (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany(
            "INSERT INTO decisions (body) VALUES (?)", [(f"row {i} " * 20,) for i in range(500)]
        )
        conn.commit()
    finally:
        conn.close()


def test_the_store_is_read_whole_at_most_every_ten_minutes(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    a_store(path)
    now = [1_000.0]

    def status() -> str:
        found = embedded_store_verdict(tmp_path, clock=lambda: now[0])
        assert found is not None
        return found[0]

    assert status() == "healthy"
    damage_pages(path)  # in place: the same file
    now[0] += 60
    assert status() == "healthy"  # the last check's verdict, not read again
    now[0] += RECHECK_SECONDS
    assert status() == "degraded"
    now[0] += RECHECK_SECONDS * 10
    assert status() == "degraded"  # damage is not mended by itself: said until it is another file

    # Moved aside and started again: the new file is checked at once.
    path.rename(tmp_path / "damaged.sqlite3")
    a_store(path)
    now[0] += 1
    assert status() == "healthy"
