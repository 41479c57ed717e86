"""Pacing and concurrency limits: Zendesk's rate-limit headers, counted windows, AIMD.

- ``RateLimitThrottle``: paces requests from Zendesk's ``X-Rate-Limit-Remaining`` so we spread the
  budget instead of running into 429s.
- ``RequestWindow``: a sliding-window count for limits the server does not announce.
- ``AdaptiveLimit``: an AIMD concurrency limit for LLM calls (halve on 429, creep back up).

The clock and ``sleep`` are injected, so tests assert the waits instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimitThrottle:
    """Spreads the rest of a per-minute budget over the rest of the minute.

    Fed from ``X-Rate-Limit`` / ``X-Rate-Limit-Remaining`` after every response. While more than
    a quarter of the budget is left nobody waits; below that, requests are spaced so the
    remaining budget (minus ``reserve``, left for agents and other integrations on the same
    account) lasts until the window ends; at or below ``reserve`` we wait for the next window.
    Zendesk does not say when its window resets, so a window starts at the first observation
    and again whenever ``remaining`` goes up. Thread-safe: concurrent callers get distinct slots.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        window: float = 60.0,
        reserve: int = 5,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self.window = window
        self.reserve = reserve
        self._lock = threading.Lock()
        self._limit: int | None = None
        self._remaining: int | None = None
        self._window_start = 0.0
        self._next_slot = 0.0
        self._deferred_until = 0.0

    def observe(self, limit: int | None, remaining: int | None) -> None:
        with self._lock:
            now = self._clock()
            if limit is not None and limit > 0:
                self._limit = limit
            if remaining is None:
                return
            if (
                self._remaining is None
                or remaining > self._remaining
                or now >= self._window_start + self.window
            ):
                self._window_start = now
            self._remaining = max(remaining, 0)

    def defer(self, seconds: float) -> None:
        with self._lock:
            self._deferred_until = max(self._deferred_until, self._clock() + max(seconds, 0.0))

    def _slot(self, now: float) -> float:
        """The earliest moment the next request may go; reserves it. Caller holds the lock."""
        start = max(now, self._deferred_until)
        if self._remaining is None:
            return start
        window_end = self._window_start + self.window
        if start >= window_end:
            # A new window has begun; the budget is unknown until the next response.
            return start
        limit = self._limit if self._limit is not None else self._remaining
        budget = self._remaining - self.reserve
        if budget <= 0:
            slot = window_end
        elif self._remaining * 4 >= limit:
            slot = start
        else:
            # The last request went at ``previous``; ``budget`` more fit in the time left if
            # each waits an equal share of it (budget + 1 shares keeps the last one in the window).
            previous = min(max(self._next_slot, self._window_start), window_end)
            slot = max(start, previous + (window_end - previous) / (budget + 1))
        self._next_slot = slot
        # Count the request we are about to send, so concurrent callers see the lower budget
        # before its response tells us the truth.
        if slot < window_end:
            self._remaining -= 1
        return slot

    def wait(self) -> float:
        with self._lock:
            now = self._clock()
            pause = self._slot(now) - now
        if pause > 0:
            self._sleep(pause)
            return pause
        return 0.0


class RequestWindow:
    """At most ``limit`` requests in any ``window`` seconds, counted on our side.

    For limits the server's headers do not announce, such as Zendesk's 10 incremental exports a
    minute (``X-Rate-Limit`` is the account's budget). A sliding window is never looser than the
    server's fixed minute, so staying inside it never draws that 429. Not thread-safe: one
    reader pages through an export.
    """

    def __init__(
        self, limit: int, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("need limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sent: list[float] = []

    def wait_time(self) -> float:
        """Seconds until one more request fits (0 when it fits now)."""
        now = self._clock()
        self._sent = [t for t in self._sent if now - t < self.window]
        if len(self._sent) < self.limit:
            return 0.0
        return self._sent[-self.limit] + self.window - now

    def record(self) -> None:
        self._sent.append(self._clock())


# --- adaptive concurrency ---------------------------------------------------------------


class AdaptiveLimit:
    """A blocking semaphore whose size follows AIMD: halve on a 429, +1 per ``limit`` successes.

    Throttles reported by calls that started before the last decrease are ignored, so a burst of
    429s from one wave of requests halves the limit once, not once per request.
    """

    def __init__(self, maximum: int, *, minimum: int = 1) -> None:
        if minimum < 1 or maximum < minimum:
            raise ValueError("need 1 <= minimum <= maximum")
        self.maximum = maximum
        self.minimum = minimum
        self._limit = maximum
        self._in_use = 0
        self._credit = 0.0
        self._epoch = 0
        self._cond = threading.Condition()
        self._local = threading.local()

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    @property
    def in_use(self) -> int:
        with self._cond:
            return self._in_use

    def acquire(self) -> None:
        with self._cond:
            while self._in_use >= self._limit:
                self._cond.wait()
            self._in_use += 1
            self._local.epoch = self._epoch

    def release(self) -> None:
        with self._cond:
            if self._in_use <= 0:
                raise RuntimeError("AdaptiveLimit released more often than acquired")
            self._in_use -= 1
            self._cond.notify()

    def on_throttled(self) -> None:
        with self._cond:
            started_in = getattr(self._local, "epoch", None)
            if started_in is not None and started_in < self._epoch:
                return
            self._limit = max(self.minimum, self._limit // 2)
            self._credit = 0.0
            self._epoch += 1

    def on_success(self) -> None:
        with self._cond:
            if self._limit >= self.maximum:
                return
            self._credit += 1.0 / self._limit
            if self._credit >= 1.0:
                self._credit = 0.0
                self._limit += 1
                self._cond.notify()

    def __enter__(self) -> AdaptiveLimit:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
