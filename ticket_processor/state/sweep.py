"""Every file of the state directory is checked at the start of a run, whatever feature wrote it.

The ledger validates its own files against their models; the features' files (the rising
topics' counts, the incidents' book and window, the claims file, the audit and help-centre
databases, and whatever a later feature adds) were each read by their own code, and a damaged
one stopped the run (``topic_counts.json`` as a directory: exit 1) or silently cost it its
tickets (``ticket-claims.lock`` as a directory). So the run sweeps the directory first, by what
an entry is rather than by which feature owns it:

- a name with a suffix (``x.json``, ``x.lock``) is a file's place: a directory, a link, a FIFO
  or a device there is set aside;
- a file's bytes are checked by its suffix: ``.json`` must parse, ``.npz`` must be a zip
  archive, ``.sqlite3`` / ``.db`` an SQLite database as SQLite reads it (or empty: a new one;
  a database is never opened by hand: ``_sqlite_problem``); a lock's or a
  metrics file's content means nothing to a reader, so any is kept;
- subdirectories without a suffix (``incidents/``) are swept the same way, except those that
  are state directories of their own (``serve/``, a shard's, the shadow runs': each holds its
  own run lock, and its own runs sweep it).

A database set aside takes its ``-wal``, ``-shm`` and ``-journal`` files with it. What is set
aside moves to ``<name>.bad-<timestamp>`` (``common.atomic.set_aside``), and the
ledger reports it once as ``state_file_set_aside`` with a warning on stderr; the feature then
starts from its default, as it does when its file is missing.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import orjson

from ..common.atomic import MAX_STATE_BYTES, SetAside, set_aside
from ..common.sealed import MAGIC, is_sealed

RUN_LOCK = "ticketbot.lock"  # state.lock's file: its presence marks a state directory
_SQLITE_NOTADB = 26  # SQLite's result code for "file is not a database"
_SQLITE_WAIT = 5.0  # seconds a database's check waits for another process's lock
_DEPTH = 3  # incidents/ and the like; nothing deeper is ours


def _json_problem(path: Path) -> str | None:
    raw = _head(path, MAX_STATE_BYTES)
    if is_sealed(raw):  # encrypted: its reader checks it whole (GCM's tag), with the key
        return None
    if not raw.strip():
        return "empty file"
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "not JSON"
    return None


def _zip_problem(path: Path) -> str | None:
    if is_sealed(_head(path, len(MAGIC))):
        return None
    return None if zipfile.is_zipfile(path) else "not an archive of arrays"


def _sqlite_problem(path: Path) -> str | None:
    """Asked of SQLite, never read with a plain ``open``: closing any descriptor of a file drops
    every POSIX lock this process holds on it, SQLite's included. ``serve`` (its readiness
    checks) and a run (its sweep after the audit store opened) hold a connection to the store;
    with their lock gone, another process's connection that closed believed itself the last,
    folded the write-ahead log into the file and deleted it, and the holder then wrote to the
    deleted log and later folded its stale pages over the newer ones: "database disk image is
    malformed". SQLite's own connections share the locks of a file a process holds."""
    if os.lstat(path).st_size == 0:
        return None  # SQLite makes an empty file a new database
    try:
        conn = sqlite3.connect(path, timeout=_SQLITE_WAIT, isolation_level=None)
    except sqlite3.Error as exc:
        return f"unreadable ({exc})"
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        # SQLITE_NOTADB: not a database (the header, or page one's layout). A store that opens
        # but is damaged inside is not set aside: its rows can be recovered (``health`` says so).
        if exc.sqlite_errorcode & 0xFF == _SQLITE_NOTADB:
            return "not an SQLite database"
        return None
    finally:
        conn.close()
    return None


def _head(path: Path, size: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


# A suffix's check of the bytes; a suffix not listed (.lock, .prom, .jsonl: read line by line,
# a bad line skipped by its reader) is checked only for being a regular file.
CONTENT_CHECKS: dict[str, Callable[[Path], str | None]] = {
    ".json": _json_problem,
    ".npz": _zip_problem,
    ".sqlite3": _sqlite_problem,
    ".db": _sqlite_problem,
}


def _is_kept_aside(name: str) -> bool:
    # What an earlier sweep set aside, and atomic_write_bytes' temp files (".name.xxx.tmp").
    return ".bad-" in name or name.startswith(".")


def sweep(directory: Path, *, depth: int = 0) -> list[SetAside]:
    """Set aside every damaged entry of ``directory`` (see the module's docstring)."""
    found: list[SetAside] = []
    for path, problem in _damaged(directory, depth):
        # A damaged database file (not a directory in its place) takes its companions along.
        database = CONTENT_CHECKS.get(path.suffix) is _sqlite_problem and path.is_file()
        found.append(set_aside(path, problem))
        if database:
            found.extend(_companions_aside(path))
    return found


def damaged(directory: Path) -> list[tuple[str, str]]:
    """What ``sweep`` would set aside, and why, moving nothing (``health``): each entry's path
    relative to ``directory``."""
    return [(str(path.relative_to(directory)), why) for path, why in _damaged(directory, 0)]


def _damaged(directory: Path, depth: int) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return found  # missing or unreadable: prepare_directory says so where it matters
    for entry in entries:
        if _is_kept_aside(entry.name):
            continue
        path = Path(entry.path)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue  # gone meanwhile
        is_file_place = bool(path.suffix)
        if stat.S_ISDIR(mode):
            if is_file_place:
                found.append((path, "a directory where a file should be"))
            elif depth < _DEPTH and not (path / RUN_LOCK).exists():
                found.extend(_damaged(path, depth + 1))
            continue
        if not stat.S_ISREG(mode):
            if is_file_place:
                found.append((path, "not a regular file (a link, FIFO or device)"))
            continue
        check = CONTENT_CHECKS.get(path.suffix)
        if check is None:
            continue
        try:
            problem = check(path)
        except OSError as exc:
            problem = f"unreadable ({exc.strerror or exc})"
        if problem is not None:
            found.append((path, problem))
    return found


# A database's write-ahead log, its index and its rollback journal belong to that file: left
# beside the new database that replaces it, SQLite reads them as the new one's (a disk I/O
# error on every open, or another file's pages applied to it).
_COMPANIONS = ("-wal", "-shm", "-journal")


def _companions_aside(database: Path) -> list[SetAside]:
    found: list[SetAside] = []
    for suffix in _COMPANIONS:
        companion = database.with_name(database.name + suffix)
        if os.path.lexists(companion):
            found.append(set_aside(companion, f"{database.name} was set aside"))
    return found
