"""``SolvedStore``: the team's solved tickets in one SQLite file in the state directory.

One row per solved ticket: its id, its subject and how it was solved (both redacted, as the
LLM would get them: the file holds no more personal data than a note), when it was solved, the
encoder's vector of its prepared text (float32 bytes: data, never pickle) and the content words
of that text (``kb.text.query_terms``: what the lookup's lexical half reads). ``meta`` keeps
the sync's position.

A version-1 file (before the words were kept) gains the words column, empty, in place when
opened for writing, and is read as it is otherwise: its rows' words are their subject's until a
sync stores them again (a fresh ``kb sync --solved`` reads them all).

The file is a cache of the helpdesk, so damage costs nothing but a fresh sync: a file that is
not SQLite or whose schema is not exactly this version's (a trigger, a view, a column more) is
set aside as ``<name>.bad-<timestamp>`` and an empty store takes its place, as the help-centre
index does. At most ``MAX_ROWS`` tickets are kept, the most recently solved: older ways of
solving a problem matter less, and the vectors of 20,000 tickets are 40 MB in memory.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..common.atomic import SetAside, prepare_directory, set_aside
from ..common.sealed import open_bytes, open_text, seal_bytes, seal_text
from ..kb.index import unit_rows
from ..kb.text import query_terms

SCHEMA_VERSION = 2
MAX_ROWS = 20_000

_SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE solved (
    ticket_id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    resolution TEXT NOT NULL,
    solved_at TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX solved_when ON solved (solved_at);
"""
# Version 2 is version 1 and this: a version-1 file is upgraded by running it.
_UPGRADE = f"""
ALTER TABLE solved ADD COLUMN words TEXT NOT NULL DEFAULT '';
PRAGMA user_version = {SCHEMA_VERSION};
"""
_SCHEMA = _SCHEMA_V1 + _UPGRADE


_WHERE = "solved.sqlite3"


@dataclass(frozen=True)
class SolvedRow:
    ticket_id: int
    subject: str
    resolution: str
    solved_at: str
    words: tuple[str, ...] = ()  # the content words of its subject and first message


def _master(db: sqlite3.Connection) -> set[tuple[str, str, str | None]]:
    rows = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return {(str(t), str(n), None if q is None else str(q)) for t, n, q in rows}


def _expected(script: str) -> set[tuple[str, str, str | None]]:
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(script)
        return _master(db)
    finally:
        db.close()


def _check(db: sqlite3.Connection, *, writable: bool = True) -> int:
    """The schema version of ``db``; ``sqlite3.DatabaseError`` unless it holds exactly this
    schema (an empty file gets it) or version 1's (upgraded when ``writable``)."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    found = _master(db)
    if version == 0 and not found:
        db.executescript(_SCHEMA)
        return SCHEMA_VERSION
    if version == 1 and found == _expected(_SCHEMA_V1):
        if writable:
            db.executescript(_UPGRADE)
            return SCHEMA_VERSION
        return version
    if version != SCHEMA_VERSION or found != _expected(_SCHEMA):
        raise sqlite3.DatabaseError("not the schema ticketbot creates")
    return version


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(target, uri=uri, timeout=10, check_same_thread=False)
    db.execute("PRAGMA trusted_schema = OFF")
    return db


class SolvedStore:
    """The store file, thread-safe (one connection behind a lock). ``read_only``: open what
    is there or nothing (a dry run), never create or move a file."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.set_aside: SetAside | None = None
        self._lock = threading.RLock()
        self._matrix: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None = None
        self._version = 0  # the data version the matrix was read at
        self._schema = SCHEMA_VERSION  # a version-1 file read as it is keeps no words
        self._db = self._open_read_only() if read_only else self._open()
        self.inode = _inode(self.path) if self._db is not None else None

    def is_file_now(self) -> bool:
        """The file this store opened is still the one at its path (not set aside, not
        replaced): its connection sees what is committed to it."""
        return self.inode is not None and self.inode == _inode(self.path)

    def _open(self) -> sqlite3.Connection:
        prepare_directory(self.path.parent, "TICKETBOT_STATE_DIR")
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            self.set_aside = set_aside(self.path, "not a regular file")
        db = _connect(str(self.path))
        try:
            _check(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            self.set_aside = set_aside(self.path, f"not a store of this version ({exc})")
            db = _connect(str(self.path))
            _check(db)
        return db

    def _open_read_only(self) -> sqlite3.Connection | None:
        if not self.path.is_file() or self.path.is_symlink():
            return None
        try:
            db = _connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            self._schema = _check(db, writable=False)
        except sqlite3.Error:
            return None
        return db

    @property
    def available(self) -> bool:
        return self._db is not None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise sqlite3.OperationalError(f"no usable solved-ticket store at {self.path}")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._conn() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def add(self, rows: Sequence[SolvedRow], vectors: npt.NDArray[np.float32]) -> None:
        """Store ``rows`` with their vectors (a ticket solved again replaces its row), then
        keep the ``MAX_ROWS`` most recently solved; one transaction."""
        with self._lock, self._conn() as db:
            self._matrix = None
            db.executemany(
                "INSERT OR REPLACE INTO solved "
                "(ticket_id, subject, resolution, solved_at, vector, words) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    # The subject, resolution and vector encrypted when a key is set (a
                    # vector can be read back towards its text; search opens them in memory).
                    (
                        r.ticket_id,
                        seal_text(r.subject),
                        seal_text(r.resolution),
                        r.solved_at,
                        seal_bytes(v.tobytes()),
                        seal_text(" ".join(r.words)),
                    )
                    for r, v in zip(rows, np.asarray(vectors, np.float32), strict=True)
                ],
            )
            db.execute(
                "DELETE FROM solved WHERE ticket_id NOT IN "
                "(SELECT ticket_id FROM solved ORDER BY solved_at DESC LIMIT ?)",
                (MAX_ROWS,),
            )

    def count(self) -> int:
        with self._lock:
            return int(self._conn().execute("SELECT count(*) FROM solved").fetchone()[0])

    def matrix(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Every stored ticket's id and its vector scaled to unit length, read once after a
        change."""
        with self._lock:
            db = self._conn()
            # Another process's commit (a ``kb sync`` or a run's refresh beside a long-lived
            # ``serve``) changes the data version: the rows are read again.
            version = int(db.execute("PRAGMA data_version").fetchone()[0])
            if self._matrix is None or version != self._version:
                rows = [
                    (i, open_bytes(bytes(v), _WHERE))
                    for i, v in db.execute("SELECT ticket_id, vector FROM solved")
                ]
                self._matrix, self._version = unit_rows(rows), version
            return self._matrix

    def rows(self, ticket_ids: Sequence[int]) -> dict[int, SolvedRow]:
        with self._lock:
            db = self._conn()
            found = [
                db.execute(
                    "SELECT ticket_id, subject, resolution, solved_at FROM solved "
                    "WHERE ticket_id = ?",
                    (int(i),),
                ).fetchone()
                for i in ticket_ids
            ]
        return {
            int(r[0]): SolvedRow(
                int(r[0]), open_text(str(r[1]), _WHERE), open_text(str(r[2]), _WHERE), str(r[3])
            )
            for r in found
            if r is not None
        }

    def words(self, ticket_ids: Sequence[int]) -> dict[int, frozenset[str]]:
        """The content words of each stored ticket of ``ticket_ids``: those of its subject
        and first message, or of its subject alone where a version-1 sync kept none."""
        with self._lock:
            db = self._conn()
            column = "words" if self._schema >= 2 else "''"
            found = [
                db.execute(
                    f"SELECT ticket_id, subject, {column} FROM solved WHERE ticket_id = ?",  # noqa: S608 - one of two fixed names
                    (int(i),),
                ).fetchone()
                for i in ticket_ids
            ]
        return {
            int(r[0]): frozenset(open_text(str(r[2]), _WHERE).split())
            | frozenset(query_terms(open_text(str(r[1]), _WHERE)))
            for r in found
            if r is not None
        }
