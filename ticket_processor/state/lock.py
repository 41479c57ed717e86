"""The run lock: one run per state directory at a time, never waiting.

The ``RunLock`` (``ticketbot.lock``) keeps one run per state directory and recognises a holder
that has run far longer than any run may (a hung process) as stale.
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import orjson

from ..errors import LockHeldError, StaleLockError

LOCK_FILE = "ticketbot.lock"


class RunLock:
    """One run at a time per state directory, never waiting.

    An OS lock on ``ticketbot.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows):
    the OS drops it when the process dies, even on kill -9, so there is no stale-lock clean-up.
    Byte 0 is the locked byte; the holder's pid and start time are written after it, where a
    Windows reader may still read them while the byte is locked.
    """

    def __init__(self, directory: Path, *, stale_after: float | None = None) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.stale_after = stale_after  # seconds no run can last; a holder older is hung
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
            holder, started = _describe_holder(fd)
            os.close(fd)
            age = _age(started)
            if self.stale_after is not None and age is not None and age > self.stale_after:
                raise StaleLockError(
                    f"a ticketbot run ({holder}) has held the lock on {self.directory} for "
                    f"{age / 60:.0f} min, longer than any run may take "
                    f"({self.stale_after / 60:.0f} min): it is hung; stop that process "
                    "(the journal keeps its work safe) and the next run goes on"
                ) from None
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


def _describe_holder(fd: int) -> tuple[str, str]:
    try:
        os.lseek(fd, 1, os.SEEK_SET)
        info = orjson.loads(os.read(fd, 4096).strip() or b"{}")
    except (OSError, orjson.JSONDecodeError):
        info = {}
    pid = info.get("pid", "unknown") if isinstance(info, dict) else "unknown"
    started = info.get("started", "unknown") if isinstance(info, dict) else "unknown"
    return f"pid {pid}, started {started}", str(started)


def _age(started: str) -> float | None:
    try:
        moment = datetime.fromisoformat(started)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds()


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
