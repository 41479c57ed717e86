"""Atomic file replacement: a kill -9 leaves the old or the new version of a file, never half.

``atomic_write_bytes`` writes a temp file in the same directory, flushes, fsyncs and
``os.replace``s it, then fsyncs the directory. What the files hold is ``ledger.RunLedger``'s
business.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path


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
