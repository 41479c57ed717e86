"""The webhooks both sandboxes send: a background dispatcher, the helpdesks' retry rules, and
the record of every attempt that ``GET /sandbox/deliveries`` shows.

A sandbox hands an ``Outgoing`` request to ``Dispatcher.send`` from inside its store's lock, so
``send`` only queues. Worker threads post each request, record the attempt (when, how long, the
status or the error) and ask the request's ``DeliveryRetry`` whether and when to try again; a retry
goes back on the queue for its moment, so a receiver that answers ``Retry-After: 30`` holds up no
other delivery, and the API call that created the ticket never waits for a webhook.

The record also keeps, to the millisecond, when each ticket was created and when it got each
internal note (the helpdesks' own stamps are to the second): the latency figures of
``python -m scripts.figures serve_latency`` come from there. Both are bounded; nothing in them is a
secret (headers are not recorded).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

_KEEP_ATTEMPTS = 10_000
_KEEP_TICKETS = 20_000
_MAX_QUEUED = 10_000  # beyond this a delivery is recorded as dropped, not queued
_CONNECT_TIMEOUT = 2.0
_WORKERS = 4


def iso_ms(moment: float) -> str:
    """``2026-11-25T04:20:00.123Z``: ISO 8601 UTC to the millisecond."""
    whole = int(moment)
    millis = round((moment - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one attempt ended: an HTTP ``status``, or an ``error`` (``timeout``, ``connection``)."""

    status: int | None
    error: str | None = None
    retry_after: float | None = None  # the answer's ``Retry-After`` in seconds, when it had one

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class DeliveryRetry(Protocol):
    """A helpdesk's rule for trying a webhook again."""

    @property
    def timeout(self) -> float:
        """Seconds the sender waits for an answer."""
        ...

    def retry_in(self, outcomes: list[DeliveryOutcome]) -> float | None:
        """Seconds until the next attempt after these (the last one failed), or None: give up."""
        ...


@dataclass(frozen=True)
class ZendeskRetry:
    """Zendesk's documented retries: a 409 up to three times; a 429 or 503 whose
    ``Retry-After`` is under 60 s up to three times, after that wait; a request that timed
    out (after 12 s) up to five times. Nothing else is retried: a refused connection or a 500
    loses the invocation (the scheduled run is the catch-up)."""

    timeout: float = 12.0
    backoff: float = 1.0  # Zendesk does not say; doubled on each retry of the same kind

    def retry_in(self, outcomes: list[DeliveryOutcome]) -> float | None:
        last = outcomes[-1]
        if last.error == "timeout":
            return self._again(sum(o.error == "timeout" for o in outcomes), 5)
        if last.status == 409:
            return self._again(sum(o.status == 409 for o in outcomes), 3)
        if last.status in (429, 503) and last.retry_after is not None and last.retry_after < 60:
            throttled = sum(o.status in (429, 503) for o in outcomes)
            return last.retry_after if throttled <= 3 else None
        return None

    def _again(self, count: int, limit: int) -> float | None:
        return self.backoff * 2 ** (count - 1) if count <= limit else None


@dataclass(frozen=True)
class ScheduledRetry:
    """Retries at fixed intervals after any failure (Freshdesk's: 5, 30 and 60 minutes)."""

    delays: tuple[float, ...] = (300.0, 1800.0, 3600.0)
    timeout: float = 10.0

    def retry_in(self, outcomes: list[DeliveryOutcome]) -> float | None:
        failed = len(outcomes)
        return self.delays[failed - 1] if failed <= len(self.delays) else None


@dataclass
class Outgoing:
    """One webhook invocation: a POST of ``body`` to ``url``, tried until delivered or given up."""

    url: str
    body: bytes
    headers: dict[str, str]
    policy: DeliveryRetry
    meta: dict[str, Any]  # shown in the record: ticket_id, event, the webhook's id
    invocation_id: str = ""
    outcomes: list[DeliveryOutcome] = field(default_factory=list)


class Dispatcher:
    """Queues ``Outgoing`` requests and posts them from worker threads; thread-safe."""

    def __init__(
        self,
        *,
        post: Callable[[Outgoing], DeliveryOutcome] | None = None,
        workers: int = _WORKERS,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._post = post or _post
        self._now = now
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Outgoing]] = []
        self._seq = itertools.count(1)
        self._busy = 0
        self._stopped = False
        self._attempts: deque[dict[str, Any]] = deque(maxlen=_KEEP_ATTEMPTS)
        self._tickets: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._workers = workers
        self._threads: list[threading.Thread] = []  # started by the first ``send``

    # --- what the sandbox calls --------------------------------------------------------

    def send(self, outgoing: Outgoing) -> None:
        """Queue ``outgoing`` for now; never blocks on the network."""
        with self._cond:
            if not outgoing.invocation_id:
                outgoing.invocation_id = f"inv-{next(self._seq)}"
            if len(self._queue) >= _MAX_QUEUED:
                self._record(
                    outgoing, DeliveryOutcome(None, "dropped: too many queued"), 0.0, final=True
                )
                return
            heapq.heappush(self._queue, (time.monotonic(), next(self._seq), outgoing))
            if not self._threads and not self._stopped:
                self._threads = [
                    threading.Thread(target=self._work, name=f"sandbox-webhooks-{n}", daemon=True)
                    for n in range(self._workers)
                ]
                for thread in self._threads:
                    thread.start()
            self._cond.notify()

    def ticket_created(self, ticket_id: int) -> None:
        """Remember when ``ticket_id`` was created, to the millisecond."""
        with self._cond:
            self._tickets[ticket_id] = {"created_at": iso_ms(self._now()), "internal_notes": []}
            while len(self._tickets) > _KEEP_TICKETS:
                self._tickets.popitem(last=False)

    def note_added(self, ticket_id: int) -> None:
        """Remember when ``ticket_id`` got an internal note, to the millisecond."""
        with self._cond:
            entry = self._tickets.get(ticket_id)
            if entry is not None:
                entry["internal_notes"].append(iso_ms(self._now()))

    def view(self) -> dict[str, Any]:
        """What ``GET /sandbox/deliveries`` answers."""
        with self._cond:
            now = time.monotonic()
            later = sum(due > now for due, _, _ in self._queue)
            return {
                "deliveries": [dict(a) for a in self._attempts],
                # being sent or due now; retries due later are counted apart
                "pending": len(self._queue) - later + self._busy,
                "retries_scheduled": later,
                "tickets": {
                    str(tid): {**t, "internal_notes": list(t["internal_notes"])}
                    for tid, t in self._tickets.items()
                },
            }

    def clear(self) -> None:
        """Forget the record (not the queue)."""
        with self._cond:
            self._attempts.clear()
            self._tickets.clear()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or being posted (a retry due later counts as queued)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
            return True

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=5)

    # --- the workers -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._stopped:
                    if self._queue:
                        wait = self._queue[0][0] - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._stopped:
                    return
                _, _, outgoing = heapq.heappop(self._queue)
                self._busy += 1
            started = time.monotonic()
            outcome = self._post(outgoing)
            took = time.monotonic() - started
            with self._cond:
                self._busy -= 1
                outgoing.outcomes.append(outcome)
                delay = None if outcome.delivered else outgoing.policy.retry_in(outgoing.outcomes)
                self._record(outgoing, outcome, took, final=delay is None)
                if delay is not None:
                    due = time.monotonic() + max(0.0, delay)
                    heapq.heappush(self._queue, (due, next(self._seq), outgoing))
                self._cond.notify_all()

    def _record(
        self, outgoing: Outgoing, outcome: DeliveryOutcome, took: float, *, final: bool
    ) -> None:
        self._attempts.append(
            {
                **outgoing.meta,
                "invocation_id": outgoing.invocation_id,
                "attempt": max(1, len(outgoing.outcomes)),
                "at": iso_ms(self._now()),
                "url": outgoing.url,
                "status": outcome.status,
                "error": outcome.error,
                "duration_ms": round(took * 1000, 1),
                "final": final,
            }
        )


_local = threading.local()


def _post(outgoing: Outgoing) -> DeliveryOutcome:
    """POST ``outgoing`` once with a keep-alive session of this worker thread."""
    session: requests.Session | None = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    try:
        answer = session.post(
            outgoing.url,
            data=outgoing.body,
            headers=outgoing.headers,
            timeout=(_CONNECT_TIMEOUT, outgoing.policy.timeout),
            allow_redirects=False,
        )
    except requests.Timeout:
        return DeliveryOutcome(None, "timeout")
    except requests.ConnectionError:
        return DeliveryOutcome(None, "connection")
    except requests.RequestException as exc:
        return DeliveryOutcome(None, type(exc).__name__)
    return DeliveryOutcome(
        answer.status_code, None, _retry_after(answer.headers.get("Retry-After"))
    )


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds when it is a number (an HTTP date is not honoured)."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
