"""A damaged database is set aside with its write-ahead log, its index and its journal: left
beside the fresh database a run makes in its place, SQLite read them as the new file's (a new
user saw "disk I/O error" on every run until the -shm file was removed by hand)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ticket_processor.state.sweep import sweep


def _database_in_wal(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    # Its pages in the file, not only in the log: the sweep asks SQLite, which reads a file
    # through its log (a log holding every page makes a file written over whole again).
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn  # left open: its -wal and -shm stay, as a running dashboard's do


def test_a_damaged_database_goes_aside_with_its_companions(tmp_path: Path) -> None:
    database = tmp_path / "audit.sqlite3"
    held = _database_in_wal(database)
    assert (tmp_path / "audit.sqlite3-wal").exists()
    assert (tmp_path / "audit.sqlite3-shm").exists()
    database.write_bytes(b"garbage" * 100)
    # Empty: a journal with content beside a file another connection holds is a hot journal
    # SQLite waits to roll back ("database is locked"), and the sweep leaves what it cannot judge.
    (tmp_path / "audit.sqlite3-journal").write_bytes(b"")
    found = sweep(tmp_path)
    assert sorted(Path(aside.file).name for aside in found) == [
        "audit.sqlite3",
        "audit.sqlite3-journal",
        "audit.sqlite3-shm",
        "audit.sqlite3-wal",
    ]
    left = sorted(p.name for p in tmp_path.iterdir() if ".bad-" not in p.name)
    assert left == []
    fresh = sqlite3.connect(database)  # a new store opens clean where the damaged one was
    fresh.execute("PRAGMA journal_mode = WAL")
    fresh.execute("CREATE TABLE t (x)")
    fresh.commit()
    fresh.close()
    held.close()


def test_a_sound_database_keeps_its_companions(tmp_path: Path) -> None:
    held = _database_in_wal(tmp_path / "audit.sqlite3")
    assert sweep(tmp_path) == []
    assert (tmp_path / "audit.sqlite3-wal").exists()
    assert (tmp_path / "audit.sqlite3-shm").exists()
    held.close()
