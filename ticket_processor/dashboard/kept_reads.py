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

Pages of many tickets are bounded too: at most ``READS_PER_MINUTE`` fresh reads a minute for
all tickets together (a small share of the helpdesk's limit: Zendesk's smallest plan allows 200
requests a minute). Past it a page is shown without what the helpdesk holds, saying why
(``over_budget``), and is not kept: its next view reads the helpdesk once the minute allows.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

LIFETIME = 60.0
MAX_TICKETS = 256
READS_PER_MINUTE = 30

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
        over_budget: Callable[[int], T] | None = None,
        lifetime: float = LIFETIME,
        most: int = MAX_TICKETS,
        reads_per_minute: int = READS_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``over_budget(ticket_id)``: the value shown when the minute's reads are spent
        (None: read all the same)."""
        self._read = read
        self._over_budget = over_budget
        self._lifetime = lifetime
        self._most = most
        self._reads_per_minute = reads_per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, _Kept[T]] = OrderedDict()
        self._reads: deque[float] = deque()  # when each fresh read of the last minute began

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
            if not self._spend(now) and self._over_budget is not None:
                return self._over_budget(ticket_id)
            value = self._read(ticket_id)
            kept.read = (now, value)
            return value

    def _spend(self, now: float) -> bool:
        """One fresh read of the minute's budget, if any is left."""
        with self._lock:
            while self._reads and now - self._reads[0] >= 60.0:
                self._reads.popleft()
            if len(self._reads) >= self._reads_per_minute:
                return False
            self._reads.append(now)
            return True

    def forget(self) -> None:
        """Drop every kept read: the next view of each ticket reads the helpdesk again."""
        with self._lock:
            self._kept.clear()
