"""Per-ticket write claims: two ticketbot processes on one state directory never write the same
ticket at the same moment.

A scheduled run and ``ticketbot serve`` work on the same account side by side. Neither holds
the other up for longer than one write batch: each claims the tickets of a batch just before
writing it and lets them go right after. Inside the claim the adapters read the tickets again
before writing (Zendesk's ``safe_update`` refuses a change planned from a ticket another
writer has since written; Freshdesk's write reads the ticket first), so the second writer finds
the processed marker and the trailer and writes nothing: one note.

How: one POSIX record lock (``fcntl.lockf``) per ticket, on the byte at the ticket's id in
``ticket-claims.lock``. The OS drops a process's locks when it dies, kill -9 included, so a
crashed writer never leaves a claim behind. Record locks belong to a process, not to a thread
or a file descriptor, so the threads of one process also take turns through an in-process set,
and one descriptor per file is kept open for the life of the process (closing any descriptor of
the file would drop every lock the process holds on it). Tickets are claimed in id order, so
two writers claiming overlapping batches cannot deadlock. On Windows (no record locks) only
the threads of one process take turns; the adapters' re-read still keeps one note.

With ``TICKETBOT_DATABASE_URL`` the claims are PostgreSQL advisory locks instead
(``AdvisoryClaims``): serve's replicas and the CronJob's runs share no disk, they share the
database. ``open_claims`` chooses.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.atomic import open_state_file, prepare_directory
from ..errors import TicketBotError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

CLAIMS_FILE = "ticket-claims.lock"
# How long a writer waits for another's claim: far more than one write batch takes.
DEFAULT_WAIT = 120.0
_POLL = 0.02
_PG_POLL = 0.05  # a round trip a try: a little longer between them than on the local file


class ClaimTimeout(TicketBotError):
    """Another process held a ticket's claim for longer than any write batch takes."""


class _ClaimFile:
    """The process's one descriptor on a claims file and the tickets its threads hold."""

    def __init__(self, path: Path) -> None:
        self.fd = open_state_file(path, os.O_RDWR | os.O_CREAT)
        self.held: set[int] = set()
        self.changed = threading.Condition()


_FILES: dict[Path, _ClaimFile] = {}
_FILES_LOCK = threading.Lock()


def _claim_file(directory: Path) -> _ClaimFile:
    path = (directory / CLAIMS_FILE).resolve()
    with _FILES_LOCK:
        found = _FILES.get(path)
        if found is None:
            prepare_directory(directory, "TICKETBOT_STATE_DIR")
            found = _FILES[path] = _ClaimFile(path)
        return found


class TicketClaims:
    """Claims on tickets in one state directory; ``hold(ids)`` around one write batch."""

    def __init__(
        self,
        directory: Path,
        *,
        wait: float = DEFAULT_WAIT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.directory = Path(directory)
        self.wait = wait
        self._clock = clock
        self._sleep = sleep

    @contextmanager
    def hold(self, ticket_ids: Iterable[int]) -> Iterator[None]:
        """Claim every ticket (in id order), run the block, let them go."""
        file = _claim_file(self.directory)
        ids = sorted(set(ticket_ids))
        deadline = self._clock() + self.wait
        taken: list[int] = []
        try:
            for ticket_id in ids:
                self._take(file, ticket_id, deadline)
                taken.append(ticket_id)
            yield
        finally:
            for ticket_id in reversed(taken):
                self._give(file, ticket_id)

    def _take(self, file: _ClaimFile, ticket_id: int, deadline: float) -> None:
        with file.changed:
            while ticket_id in file.held:
                left = deadline - self._clock()
                if left <= 0:
                    raise self._timeout(ticket_id)
                file.changed.wait(min(left, 0.5))
            file.held.add(ticket_id)
        try:
            while not _lock(file.fd, ticket_id):
                if self._clock() >= deadline:
                    raise self._timeout(ticket_id)
                self._sleep(_POLL)
        except BaseException:
            with file.changed:
                file.held.discard(ticket_id)
                file.changed.notify_all()
            raise

    def _give(self, file: _ClaimFile, ticket_id: int) -> None:
        try:
            _unlock(file.fd, ticket_id)
        finally:
            with file.changed:
                file.held.discard(ticket_id)
                file.changed.notify_all()

    def _timeout(self, ticket_id: int) -> ClaimTimeout:
        return ClaimTimeout(
            f"ticket {ticket_id} stayed claimed by another ticketbot process on "
            f"{self.directory} for {self.wait:.0f} s: it is left for the next attempt"
        )


if sys.platform == "win32":

    def _lock(fd: int, ticket_id: int) -> bool:
        return True  # no record locks: the threads of this process take turns above

    def _unlock(fd: int, ticket_id: int) -> None:
        return None

else:
    import fcntl

    def _lock(fd: int, ticket_id: int) -> bool:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, ticket_id, os.SEEK_SET)
        except OSError:
            return False
        return True

    def _unlock(fd: int, ticket_id: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, ticket_id, os.SEEK_SET)


def _advisory_key(ticket_id: int) -> int:
    """A ticket's advisory lock key: 64 bits of a hash, namespaced so as not to meet another
    application's advisory locks in a shared database."""
    digest = hashlib.sha256(f"ticketbot-claim:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryClaims:
    """The same claims in PostgreSQL (``TICKETBOT_DATABASE_URL``): session advisory locks, one
    per ticket, for processes that share no disk (serve's replicas, the CronJob's runs). The
    server drops a dead client's locks with its session."""

    def __init__(
        self,
        engine: Engine,
        *,
        wait: float = DEFAULT_WAIT,
        fallback: TicketClaims | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.wait = wait
        self._clock = clock
        self._sleep = sleep
        # Where the claims go while the database cannot be reached: the state directory's, so
        # a run (and a replica on the same disk) still writes one ticket at a time, said once.
        self.fallback = fallback
        self._told = False

    @contextmanager
    def hold(self, ticket_ids: Iterable[int]) -> Iterator[None]:
        # Here, not at the top: a run on the state directory's claims never loads SQLAlchemy.
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        keys = sorted({_advisory_key(i) for i in ticket_ids})
        try:
            connection = self.engine.connect()
        except DBAPIError as exc:
            if self.fallback is None:
                raise
            if not self._told:
                self._told = True
                log.warning(
                    "write claims: the database is out of reach (%s); claiming tickets in the "
                    "state directory instead",
                    type(exc.orig).__name__,
                )
            with self.fallback.hold(ticket_ids):
                yield
            return
        with connection as conn:
            # Tried, not waited for in the server: the wait between tries is the run's sleep,
            # which a SIGTERM or the run's bound ends at once (a pg_advisory_lock under a
            # lock_timeout held the process for the whole wait).
            deadline = self._clock() + self.wait
            try:
                for key in keys:
                    while not conn.execute(
                        text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                    ).scalar_one():
                        if self._clock() >= deadline:
                            raise ClaimTimeout(
                                f"tickets stayed claimed by another ticketbot process for "
                                f"{self.wait:.0f} s: they are left for the next attempt"
                            )
                        self._sleep(_PG_POLL)
                conn.commit()
            except BaseException as exc:  # a timeout, a stop, the database gone mid-claim
                with suppress(DBAPIError):
                    conn.rollback()
                    conn.execute(text("SELECT pg_advisory_unlock_all()"))
                    conn.commit()
                if isinstance(exc, DBAPIError):
                    raise ClaimTimeout(
                        f"tickets could not be claimed in PostgreSQL "
                        f"({type(exc.orig).__name__}): they are left for the next attempt"
                    ) from None
                raise
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
                conn.commit()


def open_claims(
    state_dir: Path, database_url: str | None, *, sleep: Callable[[float], None] = time.sleep
) -> TicketClaims | AdvisoryClaims:
    """The claims every writer on this account shares: in PostgreSQL when there is one (no
    shared disk is needed), else in the state directory. ``sleep`` is the run's: a stop ends
    a wait for another process's claim on a ticket."""
    local = TicketClaims(state_dir, sleep=sleep)
    if database_url:
        from ..common.database import database_engine

        return AdvisoryClaims(database_engine(database_url), fallback=local, sleep=sleep)
    return local
