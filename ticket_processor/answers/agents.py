"""Who the helpdesk's agents are, for the guard that never answers a ticket an agent asked.

A run reads the agents once, when it starts (``FixedAgents``): a run lasts minutes. ``ticketbot
serve`` runs for weeks, so its list is read again once it is ``AGENTS_MAX_AGE`` old
(``ReadAgents``): an agent added this morning is known within that time, as the next scheduled
run would know them. A list that cannot be read means no answer (``ids`` is None), as a run
whose agents cannot be read answers nothing; the read is tried again after ``RETRY_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from ..errors import TicketBotError

# How old serve's list of agents may get before it is read again: the scheduled run's usual
# pace (every 10 minutes) reads it as often.
AGENTS_MAX_AGE = 600.0
# After a failed read, the next one waits this long (the tickets meanwhile are not answered).
RETRY_SECONDS = 60.0


@runtime_checkable
class Agents(Protocol):
    def ids(self) -> frozenset[int] | None:
        """The agents' user ids; None: unknown now (no ticket is answered then)."""
        ...


class FixedAgents:
    """The agents as a run read them at its start."""

    def __init__(self, ids: Iterable[int]) -> None:
        self._ids = frozenset(ids)

    def ids(self) -> frozenset[int] | None:
        return self._ids


class ReadAgents:
    """The agents read with ``read`` and read again when ``max_age`` seconds old."""

    def __init__(
        self,
        read: Callable[[], Iterable[int]],
        *,
        max_age: float = AGENTS_MAX_AGE,
        retry: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[TicketBotError], None] = lambda exc: None,
    ) -> None:
        self._read = read
        self._max_age = max_age
        self._retry = retry
        self._clock = clock
        self._on_error = on_error
        self._lock = threading.Lock()  # one read at a time; the other threads wait for it
        self._ids: frozenset[int] | None = None
        self._next_read: float | None = None  # None: read at the first ticket

    def ids(self) -> frozenset[int] | None:
        with self._lock:
            now = self._clock()
            if self._next_read is None or now >= self._next_read:
                try:
                    self._ids = frozenset(self._read())
                    self._next_read = now + self._max_age
                except TicketBotError as exc:
                    # A stale list may miss the agent who asks: unknown until read again.
                    self._ids = None
                    self._next_read = now + self._retry
                    self._on_error(exc)
            return self._ids
