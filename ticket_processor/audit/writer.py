"""``SqliteWriter``: a run's writer of the embedded audit store, on the standard library's
``sqlite3`` alone.

    writer = open_writer(Path(".ticketbot"), account="zendesk:acme.zendesk.com")  # upgrade.py
    writer.upsert_decisions([{...}])  # what ``AuditStore.upsert_decisions`` takes
    writer.close()

A run writes the store as it goes (``feed.AuditFeed``) and reads nothing back but the decision
an outcome marks. SQLAlchemy (``store.AuditStore``) would cost each run ~26 MB for that, so the
run's feed writes the SQLite file through this class instead; SQLAlchemy and Alembic stay the
store's schema owner and serve every reader (the report, the dashboard, ``audit import``) and
PostgreSQL.

The rows are the ones ``AuditStore`` writes, value for value: the same ``INSERT ... ON
CONFLICT (identity) DO UPDATE`` of the columns given, times as SQLAlchemy's SQLite dialect keeps
them (``YYYY-MM-DD HH:MM:SS.ffffff``, UTC), booleans as 1 / 0, JSON as ``json.dumps`` (a
``None`` as ``null``), floats as floats; each write one ``BEGIN IMMEDIATE`` transaction, with
the same ``busy_timeout``, WAL and ``synchronous=NORMAL``. ``TABLES`` names each table's columns
and identity; a test holds them to ``schema.metadata``.

The schema must be at this version's head before anything is written: ``upgrade.open_writer``
reads ``alembic_version`` (``schema_version``) and, when it is missing or another version,
upgrades the store in a child process through ``AuditStore.open`` first.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..common.sqlite_wal import enter_wal
from ..errors import TicketBotError
from .batches import by_shape, chunks, utc, with_account
from .rows import Outcome
from .sealed_values import opened_json, opened_text, sealed_json, sealed_text
from .tables import (
    BOOLEAN,
    CORRECTIONS,
    DECISIONS,
    JSON,
    PLAIN,
    PRUNED,
    RATINGS,
    RUNS,
    SEALED,
    SEALED_JSON,
    SLA_CLOCKS,
    TIME,
    WRITES,
    Table,
)

FILE_NAME = "audit.sqlite3"
# The schema this code reads and writes: the newest migration in ``migrations/versions``
# (a test checks the two agree).
SCHEMA_VERSION = "0006"
BUSY_TIMEOUT_MS = 30_000


class AuditStoreError(TicketBotError):
    """The audit store could not be opened, upgraded, read or written."""


class SqliteWriter:
    """The embedded store, for a run's feed: ``upsert_runs`` / ``upsert_decisions`` /
    ``upsert_writes`` / ``record_outcome`` / ``prune`` as ``AuditStore`` has them.
    Thread-safe: one connection, one writer at a time."""

    dialect = "sqlite"

    def __init__(self, path: Path, *, account: str = "") -> None:
        self.path = Path(path)
        self.account = account
        self.where = f"sqlite:///{self.path}"
        # Re-entrant: a write inside ``batch`` takes it again in the same thread.
        self._lock = threading.RLock()
        self._conn = _connect(self.path)
        self._file = file_identity(self.path)
        self._batching = False  # a ``batch`` transaction is open (under _lock)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SqliteWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every write inside is one transaction: one commit (one WAL sync at a checkpoint)
        for a feed's flush, not one per table and outcome; all of it is stored or none."""
        with self._writing():
            self._batching = True
            try:
                yield
            finally:
                self._batching = False

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, ``BEGIN IMMEDIATE``: one writer across processes; inside
        ``batch``, that batch's transaction."""
        with self._lock:
            conn = self._conn
            if self._batching:
                yield conn  # the batch commits, or rolls back, all of it
                return
            if file_identity(self.path) != self._file:
                # A run set the file aside (damaged) and made a new store in its place, or
                # someone removed it: the connection still writes the old file's pages.
                raise AuditStoreError(
                    f"cannot write the audit store {self.where}: the file was set aside or "
                    "replaced since it was opened"
                )
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise AuditStoreError(
                    f"cannot write the audit store {self.where}: {_reason(exc)}"
                ) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except (sqlite3.Error, ValueError, TypeError) as exc:
                # A value SQLAlchemy would refuse (not a time, not a boolean) fails the same.
                _rollback(conn)
                raise AuditStoreError(
                    f"cannot write the audit store {self.where}: {_reason(exc)}"
                ) from None
            except BaseException:
                _rollback(conn)
                raise

    def upsert_runs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert(RUNS, rows)

    def upsert_decisions(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert(DECISIONS, rows)

    def upsert_writes(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """As ``AuditStore.upsert_writes``: an answer sent (with its id) or cancelled marks the
        ticket's decisions whose answer was planned to be sent as ``sent`` or ``cancelled``."""
        self._upsert(WRITES, rows)
        kinds = {"answer": "sent", "answer_cancelled": "cancelled"}
        settled = [
            r for r in rows if r.get("kind") in kinds and (r.get("ok") or r["kind"] != "answer")
        ]
        if not settled:
            return
        with self._writing() as conn:
            for row in settled:
                account = row.get("account", self.account)
                conn.execute(
                    "UPDATE decisions SET answer_state = ?, reply_id = ? WHERE account = ?"
                    " AND ticket_id = ? AND answer_state = 'planned'"
                    " AND mode NOT IN ('dry-run', 'shadow')",  # those runs sent nothing
                    (kinds[row["kind"]], row.get("reply_id"), account, row["ticket_id"]),
                )

    def upsert_ratings(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert(RATINGS, rows)

    def upsert_sla_clocks(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._upsert(SLA_CLOCKS, rows)

    def _upsert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        with self._writing() as conn:
            _execute_upserts(conn, table, with_account(rows, self.account))

    def record_outcome(self, outcome: Outcome) -> None:
        """As ``AuditStore.record_outcome``: mark the latest decision the ticket had by then,
        and a correction row per label the agents left, agreed or not."""
        statuses = outcome.statuses()
        marks = ", ".join("?" for _ in statuses)
        latest = (
            'SELECT * FROM "decisions" WHERE "account" = ? AND "ticket_id" = ? AND "kind" = ? '  # noqa: S608 - placeholders only
            f'AND "status" IN ({marks}) AND "at" <= ? ORDER BY "at" DESC, "id" DESC LIMIT 1'
        )
        at = utc(outcome.at)
        with self._writing() as conn:
            cursor = conn.execute(
                latest,
                (self.account, outcome.ticket_id, "triage", *statuses, _bind(TIME, at)),
            )
            found_row = cursor.fetchone()
            if found_row is None:
                return
            names = [column[0] for column in cursor.description]
            row = dict(zip(names, found_row, strict=True))
            values, found = outcome.marks(
                self.account, at, lambda name: _read(name, row[name]) if name in row else None
            )
            assignments = ", ".join(f'"{name}" = ?' for name in values)
            conn.execute(
                f'UPDATE "decisions" SET {assignments} WHERE "id" = ?',  # noqa: S608 - fixed names
                (*(_bind(DECISIONS.columns[n], v) for n, v in values.items()), row["id"]),
            )
            if found:
                _execute_upserts(conn, CORRECTIONS, found)

    def prune(self, before: datetime) -> dict[str, int]:
        """As ``AuditStore.prune``: this account's rows older than ``before`` go."""
        cutoff = _bind(TIME, utc(before))
        deleted: dict[str, int] = {}
        with self._writing() as conn:
            for name, column in PRUNED:
                cursor = conn.execute(
                    f'DELETE FROM "{name}" WHERE "account" = ? AND "{column}" < ?',  # noqa: S608
                    (self.account, cutoff),
                )
                deleted[name] = max(int(cursor.rowcount), 0)
            conn.execute("PRAGMA optimize")
        return deleted


# -- the schema's version -------------------------------------------------------------------------


def schema_version(path: Path) -> str | None:
    """The version ``alembic_version`` names (None: no schema yet), read with ``sqlite3``."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        known = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if known is None:
            return None
        value = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(value[0]) if value is not None and value[0] is not None else None
    finally:
        conn.close()


# -- values as SQLAlchemy's SQLite dialect stores them -----------------------------------------

_TIME_FORMAT = (
    "{0.year:04d}-{0.month:02d}-{0.day:02d} "
    "{0.hour:02d}:{0.minute:02d}:{0.second:02d}.{0.microsecond:06d}"
)


def _bind(kind: str, value: Any) -> Any:
    if kind == SEALED:
        return sealed_text(value)
    if kind == SEALED_JSON:
        return json.dumps(sealed_json(value))
    if kind == JSON:
        return json.dumps(value)  # None too: SQLAlchemy's JSON stores it as ``null``
    if value is None or kind == PLAIN:
        return value
    if kind == TIME:
        if isinstance(value, datetime):
            return _TIME_FORMAT.format(value)
        if isinstance(value, date):
            return f"{value.year:04d}-{value.month:02d}-{value.day:02d} 00:00:00.000000"
        raise TypeError(
            "SQLite DateTime type only accepts Python datetime and date objects as input."
        )
    if kind == BOOLEAN:
        if value not in (True, False):
            raise TypeError(f"Not a boolean value: {value!r}")
        return int(value)
    return float(value)  # FLOAT


def _read(name: str, value: Any) -> Any:
    """A stored decision's value as SQLAlchemy reads it back."""
    kind = DECISIONS.columns.get(name, PLAIN)
    if value is None:
        return None
    if kind == SEALED:
        return opened_text(value)
    if kind == SEALED_JSON:
        return opened_json(json.loads(value))
    if kind == JSON:
        return json.loads(value)
    if kind == BOOLEAN:
        return bool(value)
    if kind == TIME:
        return datetime.fromisoformat(value)
    return value


def _execute_upserts(
    conn: sqlite3.Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    for chunk in chunks(rows):
        # Rows of one statement must have the same columns: group by shape.
        for shape in by_shape(chunk):
            names = list(shape[0])
            unknown = [name for name in names if name not in table.columns]
            if unknown:
                raise ValueError(f"no column {unknown[0]!r} in table {table.name!r}")
            # A plain column's value is bound as it is: no call for most of a row's columns.
            columns = [(name, table.columns[name]) for name in names]
            values = [
                [row[name] if kind == PLAIN else _bind(kind, row[name]) for name, kind in columns]
                for row in shape
            ]
            conn.executemany(upsert_sql(table, names), values)


def upsert_sql(table: Table, names: Sequence[str]) -> str:
    """``INSERT ... ON CONFLICT (identity) DO UPDATE`` of the columns given that are not the
    identity (``DO NOTHING`` when there are none), as ``AuditStore``'s statement."""
    quoted = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" for _ in names)
    keys = ", ".join(f'"{name}"' for name in table.identity)
    update = [name for name in names if name not in table.identity and name != "id"]
    action = (
        "DO UPDATE SET " + ", ".join(f'"{name}" = excluded."{name}"' for name in update)
        if update
        else "DO NOTHING"
    )
    return (
        f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks}) '  # noqa: S608 - fixed names
        f"ON CONFLICT ({keys}) {action}"
    )


# The connection's page cache, in KiB. A run only appends (and marks the odd outcome), so
# SQLite's default 2 MB cache bought nothing but 1.5 MB of every run's peak memory.
CACHE_KIB = 256


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit at the driver: ``_writing`` says BEGIN IMMEDIATE itself.
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    enter_wal(conn)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    # The subjects' full-text index is written by a trigger, and with the small cache above
    # each upsert's statement journal spilled to SQLite's temporary files: about 28,000 writes
    # to /var/tmp for 600 decisions (strace), none in memory. A statement's journal is gone
    # when the statement is.
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def file_identity(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` names now (device and inode), None when none."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def _rollback(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # the connection is gone; the transaction with it


def _reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
