"""What a ticket's page reads from the helpdesk, kept for a minute per ticket.

A ticket's page shows what the helpdesk holds now (ticketbot's notes, the summary field), and
read it afresh at every view: three requests a view, uncached, against the rate limit the runs
share, so a hundred views of a page (anyone may open it on loopback) made three hundred
requests. ``KeptReads`` keeps each ticket's read for ``LIFETIME`` seconds, for at most
``MAX_TICKETS`` tickets (the least recently viewed go first), so a ticket costs the helpdesk one
read a minute however often its page is opened. Views of a ticket not kept wait for one read
rather than each making its own. A read that failed is kept as well (it is a value: the page
says why it shows nothing): a helpdesk that refuses or throttles is asked again a minute
later, not at every view. A write from the dashboard (a lead's review) forgets what was kept,
so the page after it shows the note just written.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

LIFETIME = 60.0
MAX_TICKETS = 256

T = TypeVar("T")


@dataclass
class _Kept(Generic[T]):
    lock: threading.Lock = field(default_factory=threading.Lock)
    read: tuple[float, T] | None = None  # when it was read, and what


class KeptReads(Generic[T]):
    """``read(ticket_id)``, each ticket's value kept ``lifetime`` seconds. Thread-safe."""

    def __init__(
        self,
        read: Callable[[int], T],
        *,
        lifetime: float = LIFETIME,
        most: int = MAX_TICKETS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._lifetime = lifetime
        self._most = most
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, _Kept[T]] = OrderedDict()

    def __call__(self, ticket_id: int) -> T:
        with self._lock:
            kept = self._kept.get(ticket_id)
            if kept is None:
                kept = self._kept[ticket_id] = _Kept()
                while len(self._kept) > self._most:
                    self._kept.popitem(last=False)
            self._kept.move_to_end(ticket_id)
        with kept.lock:  # one read per ticket at a time: the others wait for its value
            now = self._clock()
            if kept.read is not None and now - kept.read[0] < self._lifetime:
                return kept.read[1]
            value = self._read(ticket_id)
            kept.read = (now, value)
            return value

    def forget(self) -> None:
        """Drop every kept read: the next view of each ticket reads the helpdesk again."""
        with self._lock:
            self._kept.clear()
