"""Everything that survives between cron runs, in one state directory (``TICKETBOT_STATE_DIR``).

Files in the directory (all written atomically: temp file in the same directory, flush, fsync,
``os.replace``, so a kill -9 leaves either the old or the new version, never half of one):

    cursor.json       where the next run resumes (``Cursor``)
    breakers.json     circuit breaker states, by dependency (``breaker_storage()``)
    inflight.json     tickets whose write-back was sent but not confirmed (the crash journal)
    last_run.json     the summary of the last finished run
    cache.json        the analysis cache (``AnalysisCache``), orjson
    ticketbot.lock    the run lock (``RunLock``); its content says who holds it

A file that does not parse is moved aside to ``NAME.corrupt-<timestamp>`` and treated as
missing: a damaged state file must never stop the cron job (the worst case is re-reading some
tickets, which the processed-marker tag makes harmless).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from .errors import ConfigError, LockHeldError
from .resilience import BreakerStorage

CURSOR_FILE = "cursor.json"
BREAKERS_FILE = "breakers.json"
INFLIGHT_FILE = "inflight.json"
LAST_RUN_FILE = "last_run.json"
CACHE_FILE = "cache.json"
LOCK_FILE = "ticketbot.lock"

# Temp files older than this are leftovers of a crashed writer, not someone's write in progress.
_STALE_TEMP_SECONDS = 3600.0


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers (and a crash) see all or nothing."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(path.parent)


def _replace(source: Path, target: Path) -> None:
    # On Windows a rename onto a file that a reader has open fails for a moment; readers here
    # hold files for microseconds, so a few short retries are enough. POSIX never needs them.
    for pause in (0.01, 0.05, 0.2):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32":
                raise
            time.sleep(pause)
    os.replace(source, target)


def _fsync_directory(directory: Path) -> None:
    # The rename itself must reach the disk, or a power cut can undo it. Windows has no
    # directory fsync (and NTFS journals the rename), so skip it there.
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _move_aside(path: Path) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.replace(path, target)
    except OSError:
        return None
    return target


def _file_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"state file name must be a plain file name, not {name!r}")
    return name if name.endswith(".json") else f"{name}.json"


@dataclass(frozen=True)
class Cursor:
    """Where discovery resumes: Zendesk's ``after_cursor`` (or the search position)."""

    kind: Literal["incremental", "search"]
    value: str | None
    start_time: int | None
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cursor | None:
        """The cursor in ``data``, or None when it is not a well-formed cursor."""
        kind, value = data.get("kind"), data.get("value")
        start_time, updated_at = data.get("start_time"), data.get("updated_at")
        if kind not in ("incremental", "search"):
            return None
        if value is not None and not isinstance(value, str):
            return None
        if start_time is not None and (
            not isinstance(start_time, int) or isinstance(start_time, bool)
        ):
            return None
        if not isinstance(updated_at, str):
            return None
        return cls(kind=kind, value=value, start_time=start_time, updated_at=updated_at)

    @classmethod
    def now(
        cls, kind: Literal["incremental", "search"], value: str | None, start_time: int | None
    ) -> Cursor:
        return cls(kind, value, start_time, datetime.now(UTC).isoformat(timespec="seconds"))


class StateStore:
    """The state directory. Thread-safe: workers may mark and clear in-flight tickets at once."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            probe_fd, probe = tempfile.mkstemp(dir=self.directory, prefix=".probe-")
            os.close(probe_fd)
            os.unlink(probe)
        except OSError as exc:
            raise ConfigError(
                f"TICKETBOT_STATE_DIR: cannot write to {self.directory} ({exc.strerror or exc}); "
                "point it at a writable directory"
            ) from None
        self._lock = threading.Lock()
        self._breakers: FileBreakerStorage | None = None
        self._remove_stale_temp_files()

    def _remove_stale_temp_files(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for leftover in self.directory.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def path(self, name: str) -> Path:
        return self.directory / _file_name(name)

    # -- JSON files ------------------------------------------------------------------

    def read_json(self, name: str) -> dict[str, Any] | None:
        """The object in ``name``, or None if missing or corrupt (corrupt ones are moved aside)."""
        path = self.path(name)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            _move_aside(path)
            return None
        return data

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_bytes(self.path(name), orjson.dumps(data, option=orjson.OPT_INDENT_2))

    # -- cursor ------------------------------------------------------------------------

    def load_cursor(self) -> Cursor | None:
        data = self.read_json(CURSOR_FILE)
        if data is None:
            return None
        cursor = Cursor.from_dict(data)
        if cursor is None:
            _move_aside(self.path(CURSOR_FILE))
        return cursor

    def save_cursor(self, cursor: Cursor) -> None:
        self.write_json(CURSOR_FILE, cursor.to_dict())

    # -- breakers ------------------------------------------------------------------------

    def breaker_storage(self) -> BreakerStorage:
        with self._lock:
            if self._breakers is None:
                self._breakers = FileBreakerStorage(self)
            return self._breakers

    def breaker_states(self) -> dict[str, dict[str, Any]]:
        """Every persisted breaker record by dependency name (for ``ticketbot health``);
        build a ``CircuitBreaker(name, storage=store.breaker_storage())`` to read its state."""
        data = self.read_json(BREAKERS_FILE) or {}
        return {name: entry for name, entry in data.items() if isinstance(entry, dict)}

    # -- in-flight journal -----------------------------------------------------------------

    def inflight(self) -> set[int]:
        """Tickets whose write-back was sent but not confirmed: check them before writing again."""
        with self._lock:
            return self._read_inflight()

    def _read_inflight(self) -> set[int]:
        data = self.read_json(INFLIGHT_FILE) or {}
        ids = data.get("ticket_ids")
        if not isinstance(ids, list):
            return set()
        return {i for i in ids if isinstance(i, int) and not isinstance(i, bool)}

    def _write_inflight(self, ids: set[int]) -> None:
        self.write_json(INFLIGHT_FILE, {"ticket_ids": sorted(ids)})

    def mark_inflight(self, ticket_ids: Iterable[int]) -> None:
        """Persist (fsync'd) before the write is sent, so a crash right after it is remembered."""
        new = set(ticket_ids)
        with self._lock:
            current = self._read_inflight()
            if not new - current:
                return
            self._write_inflight(current | new)

    def clear_inflight(self, ticket_ids: Iterable[int]) -> None:
        done = set(ticket_ids)
        with self._lock:
            current = self._read_inflight()
            if not current & done:
                return
            self._write_inflight(current - done)

    # -- last run ------------------------------------------------------------------------

    def last_run(self) -> dict[str, Any] | None:
        return self.read_json(LAST_RUN_FILE)

    def save_last_run(self, summary: dict[str, Any]) -> None:
        self.write_json(LAST_RUN_FILE, summary)


class FileBreakerStorage:
    """Breaker states in ``breakers.json``, one entry per dependency name."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._lock = threading.Lock()

    def load(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            entry = (self._store.read_json(BREAKERS_FILE) or {}).get(name)
            return entry if isinstance(entry, dict) else None

    def save(self, name: str, data: dict[str, Any]) -> None:
        with self._lock:
            everything = self._store.read_json(BREAKERS_FILE) or {}
            everything[name] = data
            self._store.write_json(BREAKERS_FILE, everything)


class AnalysisCache:
    """Content-hash -> analysis, across runs; least recently used entries go first when full.

    Thread-safe. Held in memory during a run and written with ``flush`` (atomic, orjson); a
    file that does not parse means an empty cache, never a crash — it is only a cache.
    """

    _VERSION = 1

    def __init__(self, path: Path, *, max_entries: int = 50_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.path = Path(path)
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return
        if not isinstance(data, dict) or data.get("version") != self._VERSION:
            return
        entries = data.get("entries")
        if not isinstance(entries, dict):
            return
        for key, value in entries.items():
            if isinstance(value, dict):
                self._entries[key] = value
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            self._dirty = True

    def flush(self) -> None:
        with self._lock:
            if not self._dirty:
                return
            # orjson reads a dict's storage order, which OrderedDict.move_to_end does not
            # change: copy in recency order so the file keeps the LRU order.
            entries = dict(self._entries.items())
            payload = orjson.dumps({"version": self._VERSION, "entries": entries})
            self._dirty = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.path, payload)
        except BaseException:
            with self._lock:
                self._dirty = True
            raise

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries


class RunLock:
    """One run at a time per state directory, never waiting.

    An OS lock on ``ticketbot.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows):
    the OS drops it when the process dies, even on kill -9, so there is no stale-lock clean-up.
    Byte 0 is the locked byte; the holder's pid and start time are written after it, where a
    Windows reader may still read them while the byte is locked.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        if self._fd is not None:
            raise RuntimeError("RunLock is not re-entrant")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # O_BINARY: Windows would otherwise turn the info line's \n into \r\n.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        try:
            _lock_byte(fd)
        except OSError:
            holder = _describe_holder(fd)
            os.close(fd)
            raise LockHeldError(
                f"another ticketbot run ({holder}) holds the lock on {self.directory}"
            ) from None
        self._fd = fd
        started = datetime.now(UTC).isoformat(timespec="seconds")
        info = orjson.dumps({"pid": os.getpid(), "started": started})
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b" " + info + b"\n")
        os.ftruncate(fd, 2 + len(info))
        return self

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 1)
            _unlock_byte(fd)
        finally:
            os.close(fd)


def _describe_holder(fd: int) -> str:
    try:
        os.lseek(fd, 1, os.SEEK_SET)
        info = orjson.loads(os.read(fd, 4096).strip() or b"{}")
    except (OSError, orjson.JSONDecodeError):
        info = {}
    pid = info.get("pid", "unknown") if isinstance(info, dict) else "unknown"
    started = info.get("started", "unknown") if isinstance(info, dict) else "unknown"
    return f"pid {pid}, started {started}"


if sys.platform == "win32":
    import msvcrt

    def _lock_byte(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # raises OSError at once if held

    def _unlock_byte(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_byte(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError (an OSError) if held

    def _unlock_byte(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
