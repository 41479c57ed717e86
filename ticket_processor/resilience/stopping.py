"""A run's request to stop, and the waits it ends: every wait of a run sleeps through ``sleep``.

A SIGTERM must end a run within seconds whatever it is waiting for: a helpdesk's 429 with a
``Retry-After`` of a minute, a Zendesk job's poll, the pause before recovery re-reads tickets,
the LLM's rate limit or the shared budget, another process's claim on a ticket, the backfill's
read window. ``StopFlag.sleep`` is the run's ``sleep`` (``resilience.runtime.Runtime``): it
sleeps as
``time.sleep`` does until a stop is requested, then raises ``StopRequested`` — a
``RunOutOfTime``, so whoever waited treats it as the run's bound: what it left undone (a
ticket not written, a job still queued) is deferred to the next run, never failed, and the
breakers do not count it. The journal and the cursor keep it.

``request`` is safe in a signal handler: it only assigns an attribute (no lock, which the
interrupted thread may hold: ``threading.Event.set`` there can deadlock). Sleepers wait on an
event in slices of ``POLL`` seconds and look at the request between them, so a signal ends
every wait within ``POLL``; ``set`` (ordinary code, e.g. a server stopping) also wakes them
at once.
"""

from __future__ import annotations

import threading
import time

from ..errors import StopRequested

POLL = 0.2  # seconds: how late a sleeper may notice a request made from a signal handler


class StopFlag:
    """Call it to learn whether (and by what) a stop was requested."""

    def __init__(self) -> None:
        self._name: str | None = None
        self._wake = threading.Event()

    def __call__(self) -> str | None:
        return self._name

    def request(self, name: str) -> None:
        """Ask for a stop; safe in a signal handler. The first name stands."""
        if self._name is None:
            self._name = name

    def set(self, name: str) -> None:
        """Ask for a stop from ordinary code, waking every sleeper now."""
        self.request(name)
        self._wake.set()

    def check(self, doing: str = "the wait") -> None:
        """Raise ``StopRequested`` once a stop was requested; ``doing`` is what is left."""
        name = self._name
        if name is not None:
            raise StopRequested(name, doing)

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)``, ended by a stop (``StopRequested``), before or during it."""
        ends = time.monotonic() + max(0.0, seconds)
        while True:
            self.check()
            left = ends - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(min(left, POLL))
