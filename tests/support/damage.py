"""A store damaged as a torn write or another file's pages leave it: garbage over one page of a
real SQLite file, the rest as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def damage_pages(path: Path, table: str = "decisions") -> None:
    """Garbage over the root page of ``table``; no connection may hold ``path`` open (its
    cached pages would hide the damage from it)."""
    conn = sqlite3.connect(path)
    try:
        [root] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        [size] = conn.execute("PRAGMA page_size")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    finally:
        conn.close()
    with path.open("r+b") as file:
        file.seek((root[0] - 1) * size[0])
        file.write(b"\xde\xad\xbe\xef" * (size[0] // 4))
