"""The run lock: one run per state directory at a time, never waiting.

The ``RunLock`` (``ticketbot.lock``) keeps one run per state directory and recognises a holder
that has run far longer than any run may (a hung process) as stale.

The lock file is opened like every state file (``atomic.open_state_file``): never through a
link (whose target the lock would otherwise truncate), never onto a FIFO. A link, a directory
or a FIFO in its place is set aside (``set_aside``, reported by the run) and a fresh lock made,
so the schedule goes on. Setting aside is safe against a second run starting at the same moment
because it happens only under a lock on the state directory itself, after looking again: a run
never moves a lock file another run has just made.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from ..common.atomic import SetAside, open_state_file, prepare_directory, set_aside
from ..errors import ConfigError, LockHeldError, StaleLockError, StateFileRefused

LOCK_FILE = "ticketbot.lock"


class RunLock:
    """One run at a time per state directory, never waiting.

    An OS lock on ``ticketbot.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows):
    the OS drops it when the process dies, even on kill -9, so there is no stale-lock clean-up.
    Byte 0 is the locked byte; the holder's pid and start time are written after it, where a
    Windows reader may still read them while the byte is locked.
    """

    def __init__(
        self,
        directory: Path,
        *,
        stale_after: float | None = None,
        may_last: float | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.stale_after = stale_after  # seconds no run can last; a holder older is hung
        # Seconds this run may take (its --max-runtime and grace), written beside the pid so
        # that ``health`` can name a holder long past it (``lock_holder``).
        self.may_last = may_last
        self._fd: int | None = None
        self.set_aside: SetAside | None = None  # what was in the lock's place, if anything

    def __enter__(self) -> RunLock:
        if self._fd is not None:
            raise RuntimeError("RunLock is not re-entrant")
        prepare_directory(self.directory, "TICKETBOT_STATE_DIR")
        fd = self._open()
        try:
            lock_byte(fd)
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
        held: dict[str, object] = {"pid": os.getpid(), "started": started}
        if self.may_last is not None:
            held["may_last"] = self.may_last
        info = orjson.dumps(held)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, b" " + info + b"\n")
        os.ftruncate(fd, 2 + len(info))
        return self

    def _open(self) -> int:
        try:
            return open_state_file(self.path, os.O_RDWR | os.O_CREAT)
        except StateFileRefused as exc:
            return self._replace_refused(str(exc))
        except OSError as exc:
            raise self._unopenable(exc) from None

    def _replace_refused(self, reason: str) -> int:
        """Set aside what stands where the lock belongs and make a fresh lock, under a lock on
        the directory, after looking again (another run may have done it a moment ago)."""
        with _directory_locked(self.directory):
            try:
                return open_state_file(self.path, os.O_RDWR | os.O_CREAT)
            except StateFileRefused:
                self.set_aside = set_aside(self.path, reason)
            except OSError as exc:
                raise self._unopenable(exc) from None
            try:
                return open_state_file(self.path, os.O_RDWR | os.O_CREAT)
            except (StateFileRefused, OSError) as exc:
                raise self._unopenable(exc) from None

    def _unopenable(self, exc: Exception) -> ConfigError:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return ConfigError(
            f"TICKETBOT_STATE_DIR: cannot open the run lock {self.path} ({why}): make "
            f"{self.directory} writable by the user running ticketbot, and remove what is at "
            f"{self.path} if it is not a file"
        )

    def __exit__(self, *exc: object) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 1)
            unlock_byte(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class LockHolder:
    """The live process holding a lock: its pid, when it took the lock, and how long it said
    it may run (None: a lock taken without saying, by an older ticketbot or ``serve``)."""

    pid: int
    started: datetime
    may_last: float | None = None


def live_holder(directory: Path) -> datetime | None:
    """When the process holding ``directory``'s lock took it, while that process is alive;
    None when nobody holds it (a holder that stopped emptied the file; one killed left its pid,
    which no process has any more). Only reads: the lock is neither made nor taken. Where a
    process cannot be asked whether it is alive (Windows, where a signal 0 would end it), None.
    """
    holder = lock_holder(directory)
    return holder.started if holder is not None else None


def lock_holder(directory: Path) -> LockHolder | None:
    """The live holder of ``directory``'s lock (``live_holder`` says when None)."""
    if sys.platform == "win32":
        return None
    try:
        fd = open_state_file(Path(directory) / LOCK_FILE, os.O_RDONLY)
    except (StateFileRefused, OSError):
        return None
    try:
        os.lseek(fd, 1, os.SEEK_SET)
        info = orjson.loads(os.read(fd, 4096).strip() or b"{}")
    except (OSError, orjson.JSONDecodeError):
        return None
    finally:
        os.close(fd)
    pid = info.get("pid") if isinstance(info, dict) else None
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)  # no signal sent: whether the process exists
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # it exists, as another user's
    try:
        started = datetime.fromisoformat(str(info.get("started")))
    except ValueError:
        return None
    may_last = info.get("may_last")
    return LockHolder(
        pid,
        started if started.tzinfo else started.replace(tzinfo=UTC),
        float(may_last) if isinstance(may_last, int | float) and may_last > 0 else None,
    )


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

    @contextlib.contextmanager
    def _directory_locked(directory: Path) -> Iterator[None]:
        # No lock on a directory here: say what to remove rather than risk moving a live lock.
        raise ConfigError(f"TICKETBOT_STATE_DIR: {directory / LOCK_FILE} is not a file: remove it")
        yield

    def lock_byte(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # raises OSError at once if held

    def unlock_byte(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    @contextlib.contextmanager
    def _directory_locked(directory: Path) -> Iterator[None]:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                # Another run is setting the same thing aside this very moment; it will run.
                raise LockHeldError(
                    f"another ticketbot run is repairing the lock on {directory}"
                ) from None
            yield
        finally:
            os.close(fd)  # closing drops the lock

    def lock_byte(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError (an OSError) if held

    def unlock_byte(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
