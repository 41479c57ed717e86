"""One process at a time for a state file that several change: ``serve`` and the cron run both
deliver the escalations owed in ``escalations.sqlite3`` (``alerts.outbox``), one at a time.

``updating(path)`` holds an OS lock on ``<name>.lock`` beside the file for a read-modify-write
(the run lock's: ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows; the OS drops it when
the holder dies, even on kill -9). It waits for another holder at most ``wait`` seconds and
then yields False: the caller decides (the escalations' deliverer leaves its deliveries to the
holder). The lock is per open file, so two threads
of one process exclude each other too.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..common.atomic import open_state_file
from ..errors import StateFileRefused
from .lock import lock_byte, unlock_byte

WAIT_SECONDS = 30.0
POLL_SECONDS = 0.02


@contextlib.contextmanager
def updating(
    path: Path,
    *,
    wait: float = WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[bool]:
    """Hold ``path``'s lock while the block runs; True when held, False when it could not be
    had in ``wait`` seconds or the lock file cannot be opened (the block runs all the same)."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = open_state_file(lock_path, os.O_RDWR | os.O_CREAT)
    except (OSError, StateFileRefused):
        yield False
        return
    try:
        deadline = clock() + wait
        held = _try_lock(fd)
        while not held and clock() < deadline:
            sleep(POLL_SECONDS)
            held = _try_lock(fd)
        try:
            yield held
        finally:
            if held:
                with contextlib.suppress(OSError):
                    unlock_byte(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """The run lock's own OS lock on byte 0, without waiting: False when another holds it."""
    try:
        lock_byte(fd)
    except OSError:
        return False
    return True
