"""A set of ticket ids at about 16 bytes an id: what a run remembers of every ticket it met.

A run keeps two such sets (the tickets its discovery met, the tickets it took) for as long as
it lasts, so they grow with the tickets it reads: a Python ``set`` of ints costs 60-100 bytes
an id (its table and the int objects), ~2 MB each at 20,000 tickets and ~8 MB each when one run
reads 90,000. ``IdSet`` keeps the ids sorted in an ``array('q')`` (8 bytes each) with the most
recent ones in a small ``set`` that is merged in when it reaches an eighth of the rest.

Thread-safe: adds take a lock; a lookup looks at the recent ids before the sorted ones, and a
merge publishes the new sorted array before it empties the recent set, so an id once added is
always found.
"""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

# Merge the recent ids in at this many, or at an eighth of the sorted ones if that is more:
# each id is copied O(log n) times, and the recent set costs at most ~1/8 of a plain set.
MERGE_AT = 4096
_LOW, _HIGH = -(2**63), 2**63 - 1


class IdSet:
    """``add``, ``in``, ``len`` and iteration (in id order) over ints that fit 64 bits."""

    __slots__ = ("_lock", "_recent", "_sorted", "_wide")

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._lock = threading.Lock()
        self._sorted = array("q")
        self._recent: set[int] = set()
        self._wide: set[int] = set()  # ids no 64-bit slot holds (no helpdesk's; kept anyway)
        for ticket_id in ids:
            self.add(ticket_id)

    def add(self, ticket_id: int) -> None:
        with self._lock:
            if ticket_id in self:
                return
            if not _LOW <= ticket_id <= _HIGH:
                self._wide.add(ticket_id)
                return
            self._recent.add(ticket_id)
            if len(self._recent) >= max(MERGE_AT, len(self._sorted) // 8):
                self._merge()

    def __sizeof__(self) -> int:
        """Its bytes and its containers' (``sys.getsizeof``), the ids' int objects aside."""
        return (
            object.__sizeof__(self)
            + self._sorted.__sizeof__()
            + self._recent.__sizeof__()
            + self._wide.__sizeof__()
        )

    def _merge(self) -> None:
        merged = array("q", heapq.merge(self._sorted, sorted(self._recent)))
        self._sorted = merged  # published before the recent ids go: never missing from both
        self._recent = set()

    def __contains__(self, ticket_id: object) -> bool:
        if not isinstance(ticket_id, int):
            return False
        if ticket_id in self._recent or ticket_id in self._wide:
            return True
        ordered = self._sorted
        at = bisect_left(ordered, ticket_id)
        return at < len(ordered) and ordered[at] == ticket_id

    def __len__(self) -> int:
        with self._lock:
            return len(self._sorted) + len(self._recent) + len(self._wide)

    def __iter__(self) -> Iterator[int]:
        with self._lock:
            ordered, recent = self._sorted, sorted(self._recent | self._wide)
        return heapq.merge(ordered, recent)
