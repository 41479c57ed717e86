"""``ArticleIndex``: the help centre in one SQLite file in the state directory, searched with FTS5.

One row per article and locale in ``articles`` (what the note and the sync need), its title and
plain-text body in the FTS5 table ``articles_fts`` (``unicode61`` tokenizer, diacritics removed;
BM25 with the title weighted over the body), and the sync position in ``meta``.

The file is a cache of the helpdesk, so damage costs nothing but a rebuild: a file that is not
SQLite, a schema of another version, a directory, a link or a FIFO where the file should be —
each is set aside as ``<name>.bad-<timestamp>`` (``set_aside``, reported once by whoever opened
it) and an empty index takes its place, which the next sync fills from a full listing. A
read-only index (dry runs) opens what is there or nothing, and changes no file.

The file lives in a directory others may reach, so its schema is taken on trust from nobody:
``sqlite_master`` must hold exactly what ``_SCHEMA`` creates (the same tables, columns, indexes
and FTS5 shadow tables; no trigger, no view, nothing more), or the file is set aside — a planted
trigger would otherwise run inside every sync, and planted rows would reach notes. Connections
run with ``trusted_schema`` off and a busy timeout. ``rebuild`` (``kb sync --full``) fills a new
file and swaps it in, so nothing of the old one survives.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.atomic import SetAside, open_state_file, prepare_directory, set_aside
from ..errors import IndexUnavailable, StateFileRefused
from ..models import Article
from .text import article_text, words

if TYPE_CHECKING:  # a run that suggests articles by keywords alone never loads numpy
    import numpy as np
    import numpy.typing as npt

INDEX_FILE = "kb.sqlite3"
SCHEMA_VERSION = 2
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0

_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE articles (
    rowid INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL,
    locale TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    visibility TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (article_id, locale)
);
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, body, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE articles_vocab USING fts5vocab(articles_fts, 'row');
CREATE TABLE passages (
    rowid INTEGER PRIMARY KEY,
    article_row INTEGER NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX passages_article ON passages (article_row);
PRAGMA user_version = {SCHEMA_VERSION};
"""
_SEARCH_SQL = (
    "SELECT a.rowid, a.article_id, a.title, a.url, a.locale, a.visibility, "
    # The column weights are TITLE_WEIGHT and BODY_WEIGHT (the title counts four times).
    "bm25(articles_fts, 4.0, 1.0) AS rank "
    "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
    "WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?"
)


def bm25_idf(total: int, holding: int) -> float:
    """FTS5's IDF: log((N - n + 0.5) / (n + 0.5)), at least 1e-6."""
    return max(math.log((total - holding + 0.5) / (holding + 0.5)), 1e-6)


@dataclass(frozen=True)
class Hit:
    """One search result; ``score`` is BM25 turned positive (higher is better)."""

    rowid: int
    article_id: int
    title: str
    url: str
    locale: str
    visibility: str
    score: float


@cache
def _expected_master() -> frozenset[tuple[str, str, str, str | None]]:
    """What ``sqlite_master`` holds in an index this version creates (FTS5's shadow tables
    included): the one schema a file may have."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(_SCHEMA)
        return _master(db)
    finally:
        db.close()


def _master(db: sqlite3.Connection) -> frozenset[tuple[str, str, str, str | None]]:
    rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    return frozenset((str(t), str(n), str(b), None if q is None else str(q)) for t, n, b, q in rows)


def _check(db: sqlite3.Connection) -> None:
    """Raise ``sqlite3.DatabaseError`` unless ``db`` is an index of exactly this schema (an
    empty file gets it)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    found = _master(db)
    if version == 0 and not found:
        db.executescript(_SCHEMA)
        return
    if version != SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"schema version {version}")
    expected = _expected_master()
    if found != expected:
        extra = sorted(f"{kind} {name}" for kind, name, _, _ in found - expected)
        differ = sorted(f"{kind} {name}" for kind, name, _, _ in expected - found)
        raise sqlite3.DatabaseError(
            "not the schema ticketbot creates"
            + (f"; unexpected {', '.join(extra)}" if extra else "")
            + (f"; missing or altered {', '.join(differ)}" if differ else "")
        )
    db.execute("SELECT count(*) FROM articles_fts").fetchone()


def _connect(target: str, *, uri: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(target, uri=uri, timeout=10, check_same_thread=False)
    db.isolation_level = None  # transactions are explicit (``ArticleIndex.transaction``)
    # Functions with side effects stay out of views, triggers and defaults of a planted schema.
    db.execute("PRAGMA trusted_schema = OFF")
    return db


def _refusal(path: Path) -> str | None:
    """Why ``path`` is no file to open (a link, a FIFO, a directory), or None."""
    try:
        os.close(open_state_file(path, os.O_RDONLY))
    except FileNotFoundError:
        return None
    except StateFileRefused as exc:
        return str(exc)
    return None


def open_writable(path: Path) -> tuple[sqlite3.Connection, SetAside | None]:
    """The index at ``path``, created if missing; a damaged one is set aside (and said)."""
    prepare_directory(path.parent, "TICKETBOT_STATE_DIR")
    aside = None
    refused = _refusal(path)
    if refused is not None:
        aside = set_aside(path, refused)
    try:
        db = _connect(str(path))
    except sqlite3.Error as exc:
        aside = set_aside(path, f"cannot be opened ({exc})")
        db = _connect(str(path))
    try:
        _check(db)
    except sqlite3.DatabaseError as exc:
        db.close()
        aside = set_aside(path, f"not an index of this version ({exc})")
        db = _connect(str(path))
        _check(db)
    return db, aside


def open_read_only(path: Path) -> sqlite3.Connection | None:
    """The index at ``path`` if there is a usable one; nothing is created or moved."""
    if not path.is_file() or _refusal(path) is not None:
        return None
    try:
        db = _connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            _check(db)
        except sqlite3.Error:
            db.close()
            return None
    except sqlite3.Error:
        return None
    return db


class ArticleIndex:
    """The index file, thread-safe (one connection behind a lock; a lookup takes ~1 ms)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.set_aside: SetAside | None = None
        self._lock = threading.RLock()
        if read_only:
            self._db = open_read_only(self.path)
        else:
            self._db, self.set_aside = open_writable(self.path)
        # Document frequency of every term, read once after each change: a lookup needs the
        # IDF of its terms, and fts5vocab answers an IN (...) with a scan of the whole index.
        self._df: tuple[int, dict[str, int]] | None = None
        # The folded words of each article a lookup checked, kept until the next change: every
        # ticket's candidates are the same few articles.
        self._words: dict[int, frozenset[str]] = {}
        # Every passage vector (unit length) and its article's row, read once after a change.
        self._vectors: tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None = None

    @property
    def available(self) -> bool:
        return self._db is not None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise IndexUnavailable(f"no usable help-centre index at {self.path}")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- the sync's position ---------------------------------------------------------

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        with self._lock:
            if value is None:
                self._conn().execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                self._conn().execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    @property
    def synced_at(self) -> float | None:
        """When the last sync finished (Unix seconds), None if never."""
        if self._db is None:
            return None
        value = self.meta("synced_at")
        return float(value) if value is not None else None

    # -- writing (the sync) ------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            db = self._conn()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def stamps(self) -> dict[tuple[int, str], str]:
        """``updated_at`` of every indexed article, by (id, locale)."""
        with self._lock:
            rows = self._conn().execute("SELECT article_id, locale, updated_at FROM articles")
            return {(int(r[0]), str(r[1])): str(r[2]) for r in rows}

    def upsert(self, article: Article) -> int:
        """Index ``article`` (replacing its earlier version and that version's vectors); its row."""
        self.delete(article.id, article.locale)
        with self._lock:
            self._df = None
            self._words.clear()
            db = self._conn()
            cursor = db.execute(
                "INSERT INTO articles (article_id, locale, title, url, visibility, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    article.id,
                    article.locale,
                    article.title,
                    article.url,
                    article.visibility,
                    article.updated_at,
                ),
            )
            db.execute(
                "INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                (cursor.lastrowid, article.title, article_text(article.body)),
            )
            return int(cursor.lastrowid or 0)

    def delete(self, article_id: int, locale: str | None = None) -> int:
        """Remove an article (one locale, or all of them); how many rows went."""
        with self._lock:
            self._df = None
            self._words.clear()
            db = self._conn()
            if locale is None:
                rows = db.execute(
                    "SELECT rowid FROM articles WHERE article_id = ?", (article_id,)
                ).fetchall()
            else:
                rows = db.execute(
                    "SELECT rowid FROM articles WHERE article_id = ? AND locale = ?",
                    (article_id, locale),
                ).fetchall()
            for (rowid,) in rows:
                db.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
                db.execute("DELETE FROM articles WHERE rowid = ?", (rowid,))
                db.execute("DELETE FROM passages WHERE article_row = ?", (rowid,))
            if rows:
                self._vectors = None
            return len(rows)

    # -- passage vectors (the sync writes them with the encoder it is handed) ------------

    def rows_without_vectors(self) -> list[int]:
        """Rows of the articles no passage vector was stored for (changed, or never encoded)."""
        with self._lock:
            found = self._conn().execute(
                "SELECT rowid FROM articles WHERE rowid NOT IN (SELECT article_row FROM passages)"
            )
            return [int(r[0]) for r in found]

    def set_vectors(self, article_row: int, vectors: npt.NDArray[np.float32]) -> None:
        """Store one article's passage vectors (float32 bytes: data, never pickle)."""
        import numpy as np

        with self._lock:
            self._vectors = None
            db = self._conn()
            db.execute("DELETE FROM passages WHERE article_row = ?", (article_row,))
            db.executemany(
                "INSERT INTO passages (article_row, vector) VALUES (?, ?)",
                [(article_row, np.asarray(v, np.float32).tobytes()) for v in vectors],
            )

    def vectors(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Every stored passage: its article's row, and its vector scaled to unit length."""
        with self._lock:
            if self._vectors is None:
                rows = self._conn().execute("SELECT article_row, vector FROM passages").fetchall()
                self._vectors = unit_rows(rows)
            return self._vectors

    def hits(self, rowids: Sequence[int]) -> dict[int, Hit]:
        """The rows ``rowids`` as hits of score 0 (a candidate only the vectors found)."""
        if not rowids:
            return {}
        with self._lock:
            db = self._conn()
            rows = [
                db.execute(
                    "SELECT rowid, article_id, title, url, locale, visibility FROM articles "
                    "WHERE rowid = ?",
                    (rowid,),
                ).fetchone()
                for rowid in rowids
            ]
            rows = [r for r in rows if r is not None]
        return {
            int(r[0]): Hit(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), 0.0)
            for r in rows
        }

    def title_and_body(self, rowid: int) -> tuple[str, str]:
        """Title and plain-text body of row ``rowid`` (empty strings when it is not there)."""
        with self._lock:
            row = (
                self._conn()
                .execute("SELECT title, body FROM articles_fts WHERE rowid = ?", (rowid,))
                .fetchone()
            )
        return ("", "") if row is None else (str(row[0]), str(row[1]))

    # -- reading (lookups) ---------------------------------------------------------------

    def entry_ids(self) -> list[int]:
        """Each entry's id, once per locale: articles, and the documents' and other sources'
        negative ids (``kb.documents``, ``kb.sources``)."""
        with self._lock:
            return [int(r[0]) for r in self._conn().execute("SELECT article_id FROM articles")]

    def count(self) -> int:
        with self._lock:
            return int(self._conn().execute("SELECT count(*) FROM articles").fetchone()[0])

    def locales(self) -> set[str]:
        with self._lock:
            return {str(r[0]) for r in self._conn().execute("SELECT DISTINCT locale FROM articles")}

    def doc_freqs(self) -> tuple[int, dict[str, int]]:
        """The number of articles and, for every indexed term, how many hold it."""
        with self._lock:
            if self._df is None:
                db = self._conn()
                total = int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
                freqs = dict(db.execute("SELECT term, doc FROM articles_vocab").fetchall())
                self._df = (total, freqs)
            return self._df

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """FTS5's BM25 inverse document frequency of each term (a term the index lacks gets
        the value of a term in no document: the most a term can weigh)."""
        total, freqs = self.doc_freqs()
        return {t: bm25_idf(total, freqs.get(t, 0)) for t in terms}

    def search(self, terms: Sequence[str], limit: int) -> list[Hit]:
        """The best ``limit`` articles matching any of ``terms`` (plain words, already folded)."""
        if not terms:
            return []
        query = " OR ".join(f'"{t}"' for t in terms)
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    _SEARCH_SQL,
                    (query, limit),
                )
                .fetchall()
            )
        return [
            Hit(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), -float(r[6]))
            for r in rows
        ]

    def text(self, rowid: int) -> str:
        """Title and plain-text body of the article in row ``rowid``, as indexed."""
        with self._lock:
            row = (
                self._conn()
                .execute("SELECT title, body FROM articles_fts WHERE rowid = ?", (rowid,))
                .fetchone()
            )
        return "" if row is None else f"{row[0]}\n{row[1]}"

    def words(self, rowid: int) -> frozenset[str]:
        """The folded words of ``text(rowid)``, read and folded once until the index changes."""
        with self._lock:
            found = self._words.get(rowid)
            if found is None:
                found = self._words[rowid] = frozenset(words(self.text(rowid)))
            return found

    def body(self, article_id: int, locale: str) -> str:
        """The plain-text body of one indexed article ("" if it is not there)."""
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT f.body FROM articles a JOIN articles_fts f ON f.rowid = a.rowid "
                    "WHERE a.article_id = ? AND a.locale = ?",
                    (article_id, locale),
                )
                .fetchone()
            )
        return "" if row is None else str(row[0])


def unit_rows(
    rows: Sequence[tuple[int, bytes]],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Stored (id, float32 vector bytes) rows as their ids and a matrix of the vectors scaled
    to unit length (a zero vector stays zero): what a cosine search over a store reads."""
    import numpy as np

    ids = np.array([int(r[0]) for r in rows], np.int64)
    if not rows:
        return ids, np.zeros((0, 0), np.float32)
    matrix = np.vstack([np.frombuffer(r[1], np.float32) for r in rows])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return ids, (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)
