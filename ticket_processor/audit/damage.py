"""A damaged embedded store: how it is found, and the one line that says so and what to do.

SQLite says a file is damaged with two result codes: ``SQLITE_CORRUPT`` ("database disk image
is malformed": pages that do not fit together) and ``SQLITE_NOTADB`` ("file is not a
database"). ``AuditStoreDamaged`` (exit code 2, as a data error) says so: raised when a run
opens the store (``upgrade.open_writer``: ``probe``) and when a reader on SQLAlchemy meets one
(``engine``'s error hook: the report, ``audit info``, the dashboard); ``health`` asks
``integrity_problem``. A write that meets one mid-run fails as any write does (``writer``), said
once.

A run is not stopped by it: the helpdesk is the source of truth and the logs keep every
decision, so a run warns once and goes on without the store (``run.audit``). The store is not
set aside by the run either, as a file that is not a database is: what SQLite can still read
of it (the dashboard's reviews, which no log holds) is the user's to save first, and the message
says how to start again from the logs.

``probe`` is what a run reads of the store before it writes: the last page of each table it
appends to (where its inserts go), a few pages whatever the store's size. ``integrity_problem``
reads the whole file (``PRAGMA quick_check``), for ``health`` and ``audit info``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..exitcodes import ExitCode
from .writer import BUSY_TIMEOUT_MS, AuditStoreError

# SQLite's primary result codes for a damaged file (an extended code's low byte).
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
RECOVERY = "docs/how-to/dashboard.md#a-damaged-audit-store"
# The tables a run appends to: their last pages are where its writes go.
APPENDED = ("runs", "decisions", "writes")


class AuditStoreDamaged(AuditStoreError):
    """The embedded store's file is damaged: SQLite cannot read its pages."""

    exit_code = ExitCode.CONFIG

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(
            f"the audit store {self.path} could not be read: it is damaged ({reason}). Runs "
            "still triage and write to the helpdesk, and the logs keep every decision: stop serve "
            f"and the dashboard, move {self.path.name} and its -wal and -shm files aside, then "
            "`ticketbot audit import` with the log directory (TICKETBOT_LOG_DIR) loads them into "
            f"a new store ({RECOVERY})"
        )


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite's error says the file is damaged (not busy, full or out of reach)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def probe(path: Path) -> None:
    """Read the schema and the last page of each table a run appends to; raise
    ``AuditStoreDamaged`` when SQLite finds one damaged (other errors are the writer's to
    meet)."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            for table in APPENDED:
                conn.execute(f'SELECT max("id") FROM "{table}"').fetchone()  # noqa: S608
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if is_damage(exc):
            raise AuditStoreDamaged(path, _reason(exc)) from None


def integrity_problem(path: Path) -> str | None:
    """SQLite's first complaint of the whole file (``PRAGMA quick_check``), None when whole.
    None too for a file that is not a database at all (the next run's state sweep sets it
    aside, and ``health``'s state row says so) and for one that cannot be checked now (locked
    for longer than the busy timeout): neither is a store to recover."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            found = conn.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        return _reason(exc) if is_damage(exc) and code != SQLITE_NOTADB else None
    said = str(found[0]) if found else "ok"
    if said == "ok":
        return None
    # One line: SQLite heads its report with "*** in database main ***" on a line of its own.
    return " ".join(line for line in said.splitlines() if not line.startswith("***"))


def ensure_whole(path: Path) -> None:
    """Raise ``AuditStoreDamaged`` when SQLite finds the store at ``path`` damaged anywhere
    (``integrity_problem``; nothing when there is no file yet)."""
    if path.is_file() and (problem := integrity_problem(path)) is not None:
        raise AuditStoreDamaged(path, problem)


def _reason(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
