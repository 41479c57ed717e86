"""A run's refresh of a stale solved-ticket store, bounded so the run is never held up long.

``kb sync`` reads on from the store's last sync; a run does the same when the store is older
than the help-centre index's maximum age (``TICKETBOT_KB_MAX_AGE``), as it does for the index
and the ready-made replies, so the similar solved tickets keep up with a team that never
scheduled ``kb sync``. Never a dry or shadow run (they write nothing, the store included),
never without a store (``kb sync --solved`` starts one).

The refresh reads at most ``REFRESH_TICKETS`` solved tickets within ``REFRESH_SECONDS`` (the
caller's helpdesk is connected with that bound, so no request, retry or rate-limit pause goes
past it). Cut short, it keeps what it read, moves the position to the last ticket read, and
leaves the store stale: the next run reads on from there. A helpdesk too slow or failing gets
the run a line saying so, and the run suggests from the store as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path

from ..errors import TicketBotError
from ..models import Helpdesk, HistoryTicket
from ..resilience.deadline import RunDeadline
from .history import OVERLAP, Encode, store_history
from .store import SolvedStore

REFRESH_SECONDS = 20.0
REFRESH_TICKETS = 200


def _moment(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def synced_at(store: SolvedStore) -> float | None:
    """When the store's last whole sync started: its own record, or (a store synced before
    the record was kept) the position it left plus the overlap it reads again."""
    kept = store.meta("synced_at")
    if kept is not None:
        return float(kept)
    since = store.meta("since")
    return None if since is None else float(since) + OVERLAP


def is_stale(store: SolvedStore, now: float, max_age: float) -> bool:
    last = synced_at(store)
    return last is None or now - last > max_age


class _Bounded:
    """The history as read, ended early when the bound is reached or the helpdesk fails."""

    def __init__(
        self, tickets: Iterable[HistoryTicket], limit: int, spent: Callable[[], bool]
    ) -> None:
        self._tickets, self._limit, self._spent = tickets, limit, spent
        self.read = 0
        self.last: float | None = None  # when the last ticket read was solved
        self.cut: str | None = None  # why the read ended early

    def __iter__(self) -> Iterator[HistoryTicket]:
        tickets = iter(self._tickets)
        while True:
            if self.read >= self._limit:
                self.cut = f"{self._limit} tickets read"
                return
            if self._spent():
                self.cut = "out of time"
                return
            try:
                solved = next(tickets)
            except StopIteration:
                return
            except TicketBotError as exc:  # slow (out of time), refused or down
                self.cut = f"{type(exc).__name__}: {exc}"
                return
            self.read += 1
            self.last = _moment(solved.ticket.updated_at) or self.last
            yield solved


def refresh_solved(
    read: Callable[[int], Iterable[HistoryTicket]],
    store: SolvedStore,
    encode: Encode,
    *,
    spent: Callable[[], bool],
    limit: int = REFRESH_TICKETS,
    clock: Callable[[], float] = time.time,
) -> str:
    """Read what was solved since the store's last sync into it, within the bound; a line
    for the run's warnings saying what it did."""
    started = clock()
    since = int(float(store.meta("since") or started - OVERLAP))
    bounded = _Bounded(read(since), limit, spent)
    report = store_history(bounded, store, encode)
    if bounded.cut is None:
        store.set_meta("since", str(int(started) - OVERLAP))
        store.set_meta("synced_at", str(started))
        return f"the solved tickets were stale and refreshed: {report.stored} new stored"
    if bounded.last is not None and bounded.last > since:
        store.set_meta("since", str(int(bounded.last)))  # the next run reads on from here
    return (
        f"the solved tickets were stale; the refresh stopped early ({bounded.cut}) after "
        f"{report.read} read, {report.stored} stored: the next run reads on, and this one "
        "shows similar solved tickets from the store as it was"
    )


def refresh_stale(
    path: Path,
    max_age: float,
    connect: Callable[[RunDeadline], Helpdesk],
    *,
    seconds: float = REFRESH_SECONDS,
) -> str | None:
    """Read on into the store at ``path`` when it is older than ``max_age``, within
    ``seconds`` on a helpdesk ``connect`` makes with that bound; a line saying what was done
    (None: fresh or unusable, nothing read: a damaged store is left for ``kb sync`` to set
    aside)."""
    looked = SolvedStore(path, read_only=True)
    try:
        if not looked.available or not is_stale(looked, time.time(), max_age):
            return None
    finally:
        looked.close()
    from ..learned.embed import embed_texts

    deadline = RunDeadline(seconds, grace=0.0)
    helpdesk = connect(deadline)
    store = SolvedStore(path)
    try:
        read = getattr(helpdesk, "solved_history", None)
        if not callable(read):
            return None  # a helpdesk that cannot list its solved tickets: as it was
        return refresh_solved(read, store, embed_texts, spent=deadline.spent)
    finally:
        store.close()
        helpdesk.close()
