"""The worker: drains the delivery queue into the run's flow (``run.served.ServedTriage``).

One thread. It claims the deliveries that are due (up to ``CLAIM`` at a time), keeps one per
ticket at a time (a ticket under way is not taken twice: a delivery naming it waits a moment),
hands the rest to ``ServedTriage.take`` (one batched read of the tickets, then the run's flow
and its batched writer), and settles each delivery when its ticket ends: ``done`` finishes it
(the time from its arrival to now is observed when a note was written), ``retry`` puts it back
with a back-off. On stop it claims nothing more; the server then closes the flow, which ends
every ticket under way, and gives back what is left. Where reading many new tickets at once
pays only for several (Freshdesk: ``ServedTriage.gather``), it gathers deliveries between takes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import AuthError
from ..models import Triage
from ..run.served import Event, Outcome, ServedTriage
from .metrics import ServeMetrics
from .queue import DeliveryQueue, Stored

CLAIM = 100  # deliveries claimed at a time: one helpdesk read, one write batch
POLL = 0.5  # seconds between looks at an empty queue (a store wakes it at once)
SHARED_POLL = 0.2  # another replica's store cannot wake this one: look more often
BUSY_DELAY = 0.5  # seconds a delivery for a ticket under way waits before it is taken
# After an idle spell, the first delivery waits this long for others, so that tickets created
# in a burst (10 a second) are read in one request, not one each: the helpdesk's read budget
# (Zendesk Team: 200 requests a minute) stays free for the runs. The writes batch on their own.
GATHER = 0.3


class Worker:
    """Claims deliveries, starts their tickets, settles them; ``start`` / ``stop`` once."""

    def __init__(
        self,
        queue: DeliveryQueue,
        metrics: ServeMetrics,
        *,
        clock: Callable[[], float] = time.time,
        on_error: Callable[[str, dict[str, Any]], None] = lambda event, fields: None,
        on_refused: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self.queue = queue
        self.metrics = metrics
        self._clock = clock
        self._on_error = on_error
        self._on_refused = on_refused
        self._lock = threading.Lock()
        self._held: dict[int, list[Stored]] = {}  # ticket id -> its deliveries under way
        self._noted: set[int] = set()  # tickets whose first triage was written
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.served: ServedTriage | None = None

    # -- what ServedTriage tells (any thread) -------------------------------------------------

    def triaged(self, ticket_id: int, triage: Triage) -> None:
        self.metrics.triaged(triage)
        with self._lock:
            self._noted.add(ticket_id)

    def settled(self, ticket_id: int, outcome: Outcome) -> None:
        with self._lock:
            stored = self._held.pop(ticket_id, [])
            noted = ticket_id in self._noted
            self._noted.discard(ticket_id)
        if not stored:
            return
        try:
            if outcome == "left":  # the server stops: waits for the restart, not counted
                self.queue.again(stored, delay=0.0)
            elif outcome == "done":
                self.queue.finish([s.id for s in stored])
                if noted:
                    now = self._clock()
                    for item in stored:
                        self.metrics.latency.observe(max(0.0, now - item.received_at))
            else:
                self.queue.again(stored)
        except Exception as exc:  # noqa: BLE001 - the delivery stays claimed; its lease frees it
            self._on_error(
                "serve_queue_error", {"error_type": type(exc).__name__, "error": str(exc)}
            )

    # -- the loop -----------------------------------------------------------------------------

    def start(self, served: ServedTriage) -> None:
        self.served = served
        self._thread = threading.Thread(target=self._loop, name="serve-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Claim nothing more; wait for the batch being started to be handed over."""
        self._stop.set()
        self.queue.stored.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def held(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._held.values())

    def _loop(self) -> None:
        poll = SHARED_POLL if self.queue.shared else POLL
        while not self._stop.is_set():
            try:
                worked = self._once()
            except Exception as exc:  # noqa: BLE001 - a database hiccup must not end the server
                self._on_error(
                    "serve_worker_error", {"error_type": type(exc).__name__, "error": str(exc)}
                )
                worked = False
                self._stop.wait(1.0)
            if worked:
                # A helpdesk that reads new tickets in one list request only when there are
                # several (Freshdesk) gets them gathered between takes; others take at once.
                served = self.served
                if served is not None and served.gather:
                    self._stop.wait(served.gather)
                continue
            # Idle: a store wakes the worker at once; else it looks again for deliveries whose
            # retry is due (and, sharing the queue, for those another replica stored).
            woken = self.queue.stored.wait(poll)
            self.queue.stored.clear()
            if woken:
                self._stop.wait(GATHER)

    def _once(self) -> bool:
        served = self.served
        assert served is not None
        claimed = self.queue.claim(CLAIM)
        if not claimed:
            # Idle: the last batch's writes have landed since; their state, their audit rows
            # and their escalations (to the channels) go now, not at the next delivery.
            served.flush_state()
            return False
        busy = served.busy()
        with self._lock:
            busy |= set(self._held)
        waiting = [s for s in claimed if s.ticket_id in busy]
        fresh = [s for s in claimed if s.ticket_id not in busy]
        if waiting:
            self.queue.again(waiting, delay=BUSY_DELAY)
        if not fresh:
            return True
        with self._lock:
            for item in fresh:
                self._held.setdefault(item.ticket_id, []).append(item)
        wanted = wanted_events((s.ticket_id, s.event) for s in fresh)
        try:
            served.take(wanted)
        except Exception as exc:  # noqa: BLE001 - take ended each ticket ("retry") already
            self._on_error(
                "serve_take_failed", {"error_type": type(exc).__name__, "error": str(exc)}
            )
            if isinstance(exc, AuthError):  # no take can work until someone fixes them
                self._on_refused(str(exc))
        served.flush_state()
        return True


def wanted_events(pairs: Iterable[tuple[int, Event]]) -> dict[int, Event]:
    """Per ticket, the event that asks the most: a reply over an update over a creation."""
    rank = {"created": 0, "updated": 1, "reply": 2}
    chosen: dict[int, Event] = {}
    for ticket_id, event in pairs:
        if ticket_id not in chosen or rank[event] > rank[chosen[ticket_id]]:
            chosen[ticket_id] = event
    return chosen
