"""The one way files of the state and log directories are opened, read, written and set aside.

Someone with write access to the state directory (or an operator's slip) can put anything where
a state file belongs: a symbolic link to a system file, a FIFO, a directory, a huge file. So:

- ``open_state_file`` opens without following a link (``O_NOFOLLOW``) and without blocking on a
  FIFO (``O_NONBLOCK``), then ``fstat``s what it got: anything but a regular file is refused with
  ``StateFileRefused`` (closed, never read, never truncated). ``read_state_bytes`` adds a size cap.
- ``open_line_file`` opens a file of lines for appending the same way, and first ends a line a
  kill -9 cut short, so the next line written is never glued to it (and lost with it).
- ``read_config_bytes`` reads an operator's configuration file (fields, routes, taxonomy) the
  same way, except that it follows a link: a FIFO or device given as one is refused, not read.
- ``set_aside`` moves a refused or damaged file (a link itself, never its target) to
  ``<name>.bad-<timestamp>``; the caller reports it once and goes on from a safe default.
- ``atomic_write_bytes`` writes a temp file in the same directory, flushes, fsyncs and
  ``os.replace``s it (a link in the way is replaced, not followed), then fsyncs the directory:
  a kill -9 leaves the old or the new version. A failed write (a full disk) is a
  ``DiskWriteError`` naming the file and the fix.
- ``prepare_directory`` refuses a directory anyone may write to (no sticky bit) or that another
  user owns, and one ticketbot cannot write to, as a ``ConfigError`` saying how to fix it;
  ``usable_problem`` says the same without creating anything (``health`` asks it).

What the files hold is ``ledger.RunLedger``'s business.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..errors import ConfigError, DiskWriteError, StateFileRefused
from . import sealed

# Far above any state file (a full analysis cache is a few MB); a bigger one is planted or
# runaway, and reading it whole would cost a run its memory.
MAX_STATE_BYTES = 128 * 1024 * 1024
# A fields, routes or taxonomy file is a few KB written by hand.
MAX_CONFIG_BYTES = 16 * 1024 * 1024

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise turn \n into \r\n
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


# The event each file set aside is reported by, once, in the log of the process that found it.
SET_ASIDE_EVENT = "state_file_set_aside"


@dataclass(frozen=True)
class SetAside:
    """A state file that was refused or did not validate, and was moved out of the way."""

    file: str
    moved_to: str | None
    reason: str

    def logged(self) -> dict[str, str | None]:
        """The fields of its ``state_file_set_aside`` event (``SET_ASIDE_EVENT``), a warning."""
        return {
            "level": "warning",
            "file": self.file,
            "moved_to": self.moved_to,
            "reason": self.reason,
        }


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def set_aside(path: Path, reason: str) -> SetAside:
    """Move ``path`` (a file, a link, a FIFO or a directory) to ``<name>.bad-<timestamp>``;
    never raises. A link is moved itself: its target is never touched."""
    target = path.with_name(f"{path.name}.bad-{_stamp()}")
    try:
        os.replace(path, target)
    except OSError:
        # A directory that cannot be renamed (another mount, permissions): remove what we can.
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        return SetAside(path.name, None, reason)
    return SetAside(path.name, target.name, reason)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refused(what: str) -> StateFileRefused:
    return StateFileRefused(f"{what} where a file should be")


def open_state_file(path: Path, flags: int, mode: int = 0o600) -> int:
    """An fd on the regular file at ``path``, opened with ``flags`` (``os.O_*``) and never
    through a link or onto a FIFO; ``StateFileRefused`` for anything else, ``FileNotFoundError``
    when missing (without ``O_CREAT``)."""
    if not _NOFOLLOW:  # Windows: no O_NOFOLLOW; look first (no FIFOs to block on there)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISLNK(os.lstat(path).st_mode):
                raise _refused("a symbolic link")
    try:
        fd = os.open(path, flags | _NOFOLLOW | _NONBLOCK | _BINARY | _CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _refused("a symbolic link") from None
        if exc.errno == errno.EISDIR:
            raise _refused("a directory") from None
        if exc.errno == errno.ENXIO:  # a FIFO opened for writing with no reader
            raise _refused("a FIFO") from None
        raise
    try:
        found = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(found):
        os.close(fd)
        raise _refused(_kind(found))
    return fd


def open_line_file(path: Path, mode: int = 0o600) -> int:
    """An fd appending to the file of lines at ``path`` (created when missing), opened as
    ``open_state_file`` opens. A last line with no newline (a writer killed mid-``write``) is
    ended first: what is written next starts a line of its own, and only the cut line is lost
    to a reader. A newline too many is a blank line, which every reader skips."""
    fd = open_state_file(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, mode)
    try:
        if os.fstat(fd).st_size > 0:
            os.lseek(fd, -1, os.SEEK_END)
            if os.read(fd, 1) != b"\n":
                os.write(fd, b"\n")  # O_APPEND: at the end, whatever the position
    except OSError:
        os.close(fd)
        raise
    return fd


def read_state_bytes(path: Path, *, limit: int = MAX_STATE_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them (a larger file is
    refused unread); ``FileNotFoundError`` when missing, ``StateFileRefused`` for anything but a
    regular file of that size."""
    fd = open_state_file(path, os.O_RDONLY)
    try:
        data = _read_capped(fd, limit)
    finally:
        os.close(fd)
    return sealed.open_bytes(data, str(path))


def read_config_bytes(path: Path, *, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of an operator's configuration file (fields, routes, taxonomy), at most
    ``limit``. A link is followed (a Kubernetes ConfigMap mounts its files as links), but what
    it ends at must be a regular file: a FIFO, a device or a directory is refused unread
    (``StateFileRefused``), never waited on, since a run reads these with its lock held.
    ``FileNotFoundError`` when missing."""
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY | _CLOEXEC)
    try:
        found = os.fstat(fd).st_mode
        if not stat.S_ISREG(found):
            raise _refused(_kind(found))
        return _read_capped(fd, limit)
    finally:
        os.close(fd)


def _read_capped(fd: int, limit: int) -> bytes:
    if os.fstat(fd).st_size > limit:
        raise StateFileRefused(f"larger than {limit // (1024 * 1024)} MB")
    chunks: list[bytes] = []
    taken = 0
    while chunk := os.read(fd, min(1 << 20, limit + 1 - taken)):
        chunks.append(chunk)
        taken += len(chunk)
        if taken > limit:  # it grew while we read
            raise StateFileRefused(f"larger than {limit // (1024 * 1024)} MB")
    return b"".join(chunks)


def write_failure(path: Path, exc: OSError, setting: str = "TICKETBOT_STATE_DIR") -> DiskWriteError:
    """A failed write of ``path`` as one line that says what to do about it."""
    why = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = f"free space on the disk holding {path.parent} (or point {setting} elsewhere)"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = f"make {path.parent} writable for ticketbot (or point {setting} elsewhere)"
    else:
        fix = f"check the disk holding {path.parent}"
    return DiskWriteError(f"cannot write {path}: {why}: {fix}")


def atomic_write_bytes(path: Path, data: bytes, *, seal: bool = False) -> None:
    """Replace ``path`` with ``data`` so that readers (and a crash) see all or nothing.
    ``seal``: a file of customers' data, encrypted when a key is installed (``sealed``)."""
    written = sealed.seal_bytes(data) if seal else data
    atomic_write_with(path, lambda handle: handle.write(written))


def atomic_write_with(
    path: Path, write: Callable[[BinaryIO], object], *, seal: bool = False
) -> None:
    """Replace ``path`` with what ``write`` writes to the handle it is given, as
    ``atomic_write_bytes`` does, without holding the whole content in memory first (but
    for a sealed file, which is encrypted whole)."""
    if seal and sealed.installed() is not None:
        buffer = io.BytesIO()
        write(buffer)
        atomic_write_bytes(path, buffer.getvalue(), seal=True)
        return
    try:
        _write_and_replace(path, write)
    except OSError as exc:
        raise write_failure(path, exc) from exc
    _fsync_directory(path.parent)


def open_state_reader(path: Path, *, limit: int = MAX_STATE_BYTES) -> BinaryIO:
    """A binary reader on the regular file at ``path`` (opened as ``read_state_bytes`` opens
    it, a larger file than ``limit`` refused unread), for a reader that streams."""
    fd = open_state_file(path, os.O_RDONLY)
    try:
        if os.fstat(fd).st_size > limit:
            raise StateFileRefused(f"{path} is larger than {limit} bytes")
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    if handle.read(len(sealed.MAGIC)) != sealed.MAGIC:
        handle.seek(0)
        return handle
    with handle:  # a sealed file is opened whole: GCM checks the tag over all of it
        data = sealed.MAGIC + handle.read()
    return io.BytesIO(sealed.open_bytes(data, str(path)))


def _write_and_replace(path: Path, write: Callable[[BinaryIO], object]) -> None:
    # mkstemp opens with O_EXCL (and O_NOFOLLOW where there is one): a planted name is never
    # followed; os.replace renames over a link, it does not write through it.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


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


def distrust(directory: Path, found: os.stat_result, setting: str, *, me: int) -> str | None:
    """Why a POSIX directory with ``found``'s mode and owner is not to be trusted by user ``me``,
    with the fix; None when it may be."""
    mode = found.st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        return (
            f"{setting}: {directory} is writable by every user (mode "
            f"{stat.S_IMODE(mode):o}), so anyone could plant links to other files in it: "
            f"run 'chmod o-w {directory}'"
        )
    if found.st_uid not in (me, 0):
        return (
            f"{setting}: {directory} belongs to another user (uid {found.st_uid}; ticketbot "
            f"runs as uid {me}): run 'chown {me} {directory}' or point {setting} at a "
            "directory of this user"
        )
    return None


def prepare_directory(directory: Path, setting: str) -> None:
    """Create ``directory`` (0700) if missing; ``ConfigError`` with the fix when ticketbot may
    not trust it (anyone may write to it, another user owns it) or cannot write to it.

    Group-writable is fine (a Kubernetes volume with ``fsGroup`` is made so); world-writable
    with the sticky bit (``/tmp``) is too, since nobody can then rename or delete our files.
    """
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = os.stat(directory)
    except FileExistsError:  # a file in its place: said as ``usable_problem`` says it
        raise ConfigError(
            f"{setting}: {directory} is not a directory; point it at a directory"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{setting}: cannot create {directory} ({exc.strerror or exc}); "
            "point it at a writable directory"
        ) from None
    if not stat.S_ISDIR(found.st_mode):
        raise ConfigError(f"{setting}: {directory} is not a directory; point it at a directory")
    if sys.platform != "win32":
        problem = distrust(directory, found, setting, me=os.geteuid())
        if problem:
            raise ConfigError(problem)
    problem = unwritable(directory, setting)
    if problem:
        raise ConfigError(problem)


def unwritable(directory: Path, setting: str) -> str | None:
    """Why ticketbot cannot create a file in ``directory`` (an existing one), with the fix, as
    a run finds out: a temp file created and removed; None when it can. Permission bits alone
    would not say it (root passes them, ``chattr +i`` or a read-only mount still refuse)."""
    try:
        probe_fd, probe = tempfile.mkstemp(dir=directory, prefix=".probe-")
        os.close(probe_fd)
        os.unlink(probe)
    except OSError as exc:
        return (
            f"{setting}: cannot write to {directory} ({exc.strerror or exc}): make it writable "
            f"by the user running ticketbot (chmod u+w {directory}) or point {setting} at a "
            "writable directory"
        )
    return None


def usable_problem(directory: Path, setting: str) -> str | None:
    """What ``prepare_directory`` would refuse about ``directory``, without creating it: for a
    missing one, whether its nearest existing parent lets the run create it. For ``health``."""
    target = directory.resolve()
    while not target.exists() and target != target.parent:
        target = target.parent
    if target != directory.resolve():
        problem = unwritable(target, setting)
        return (
            None
            if problem is None
            else problem.replace(
                f"cannot write to {target}", f"cannot create {directory} in {target}"
            )
        )
    if not target.is_dir():
        return f"{setting}: {directory} is not a directory; point it at a directory"
    if sys.platform != "win32":
        problem = distrust(directory, os.stat(directory), setting, me=os.geteuid())
        if problem:
            return problem
    return unwritable(directory, setting)
