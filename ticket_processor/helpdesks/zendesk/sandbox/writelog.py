"""The sandbox's write log: which version of each ticket is current, in write order.

Every write gets a global, strictly increasing sequence number and an entry in the log, which
is what the incremental export pages through: a ticket written again appears again later, and
its older entries are skipped (and dropped by ``compact`` once they pile up). Each entry keeps
the wall-clock time of its write, so an export can start at a ``start_time``. Not thread-safe:
``store.TicketStore`` calls it under its lock.
"""

from __future__ import annotations

import bisect


class WriteLog:
    """Sequence numbers, ticket ids and write times of every current or stale version."""

    def __init__(self) -> None:
        self.seq = 0  # the last sequence number given out
        self.last_wall = 0.0  # the wall time of the last entry
        self._seq_of: dict[int, int] = {}  # ticket id -> the sequence of its current version
        self._seqs: list[int] = []
        self._ids: list[int] = []
        self._walls: list[float] = []

    def record(self, ticket_id: int, wall: float) -> None:
        """A new current version of ``ticket_id``, written at ``wall``."""
        self.seq += 1
        self._seq_of[ticket_id] = self.seq
        self._seqs.append(self.seq)
        self._ids.append(ticket_id)
        self._walls.append(wall)
        self.last_wall = wall

    def __len__(self) -> int:
        return len(self._seqs)

    def after(self, after_seq: int, per_page: int) -> tuple[list[int], int, bool]:
        """Ids of tickets written after ``after_seq`` in write order: (ids, last seq, at end)."""
        out: list[int] = []
        pos = bisect.bisect_right(self._seqs, after_seq)
        last_seq = after_seq
        n = len(self._seqs)
        while pos < n and len(out) < per_page:
            seq, tid = self._seqs[pos], self._ids[pos]
            pos += 1
            if self._seq_of.get(tid) == seq:
                out.append(tid)
                last_seq = seq
        # Stale log entries past the page do not count as "more".
        end = all(self._seq_of.get(self._ids[i]) != self._seqs[i] for i in range(pos, n))
        return out, last_seq, end

    def seq_before(self, start_time: float) -> int:
        """The sequence number just before the first write at or after ``start_time``."""
        pos = bisect.bisect_left(self._walls, start_time)
        return self._seqs[pos] - 1 if pos < len(self._seqs) else self.seq

    def compact(self) -> None:
        """Drop the entries of versions that are no longer current."""
        keep = [
            (s, i, w)
            for s, i, w in zip(self._seqs, self._ids, self._walls, strict=True)
            if self._seq_of.get(i) == s
        ]
        self._seqs = [k[0] for k in keep]
        self._ids = [k[1] for k in keep]
        self._walls = [k[2] for k in keep]

    def current_order(self) -> tuple[list[int], list[float]]:
        """The tickets' ids in the order of their current versions, and those versions' walls."""
        order = sorted(self._seq_of, key=self._seq_of.__getitem__)
        walls = dict(zip(self._ids, self._walls, strict=True))
        return order, [walls.get(i, 0.0) for i in order]
