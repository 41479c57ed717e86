"""Pacing and concurrency limits: Zendesk's rate-limit headers, counted windows, AIMD.

- ``RateLimitThrottle``: paces requests from Zendesk's ``X-Rate-Limit-Remaining`` so we spread the
  budget instead of running into 429s.
- ``RequestWindow``: a sliding-window count for limits the server does not announce.
- ``AdaptiveLimit``: an AIMD concurrency limit for LLM calls (halve on 429, creep back up),
  which with ``--workers auto`` also follows the endpoint's latency (``resolve_workers``).

The clock and ``sleep`` are injected, so tests assert the waits instead of sleeping.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from .deadline import RunDeadline


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
        deadline: RunDeadline | None = None,
    ) -> None:
        self._deadline = deadline  # the run's: a pause that would outlast it is not taken
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
            left = self._deadline.left() if self._deadline is not None else None
            if self._deadline is not None and left is not None and pause >= left:
                raise self._deadline.out_of_time(f"a request held {pause:.0f} s by the rate limit")
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


# ``--workers auto``: the most LLM calls a run may have in flight (the threads it starts), and
# where the latency-following limit starts before it has measured anything.
AUTO_LLM_CEILING = 256
AUTO_LLM_START = 4
# The endpoint queues our calls (an Ollama with 4 slots, a saturated vLLM) when the recent
# latency is this many times the lowest recent latency seen: fewer calls in flight then.
QUEUEING_FACTOR = 2.0
_RECENT_WEIGHT = 0.2  # EWMA weight of the newest call's latency


def resolve_workers(value: int | str, *, llm: bool) -> tuple[int, bool]:
    """Threads for a run and whether their LLM calls follow the endpoint (``--workers auto``).

    A number is taken as given. ``auto`` with an LLM starts ``AUTO_LLM_CEILING`` threads and
    lets the endpoint decide how many call at once (its latency, its announced limits); without
    one the engines are CPU-bound and the machine's cores are the concurrency.
    """
    if isinstance(value, int):
        return value, False
    if llm:
        return AUTO_LLM_CEILING, True
    return max(2, min(8, os.cpu_count() or 2)), False


class AdaptiveLimit:
    """A blocking semaphore whose size follows AIMD: halve on a 429, +1 per ``limit`` successes.

    Throttles reported by calls that started before the last decrease are ignored, so a burst of
    429s from one wave of requests halves the limit once, not once per request.

    ``follow_latency`` (``--workers auto``): the limit starts at ``start`` and doubles each
    round (slow start) while the calls use all of it and their latency stays flat. Once the
    recent latency (an EWMA) passes ``QUEUEING_FACTOR`` times the lowest seen, the endpoint is
    queueing our calls: the limit drops by as much as the latency overshoots (at most half,
    once per round) and from then on grows by one per round. An endpoint that serves
    everything at the same latency ends at ``maximum``.
    """

    def __init__(
        self,
        maximum: int,
        *,
        minimum: int = 1,
        start: int | None = None,
        follow_latency: bool = False,
    ) -> None:
        if minimum < 1 or maximum < minimum:
            raise ValueError("need 1 <= minimum <= maximum")
        self.maximum = maximum
        self.minimum = minimum
        self._limit = maximum if start is None else max(minimum, min(maximum, start))
        self._in_use = 0
        self._credit = 0.0
        self._epoch = 0
        self._cond = threading.Condition()
        self._local = threading.local()
        self._follow = follow_latency
        self._slow_start = follow_latency
        self._recent: float | None = None
        self._floor: float | None = None
        self._full = False  # every permit was taken since the last change
        self._since_change = 0
        self._peak = 0
        self._low = self._limit  # the lowest the limit went: how hard the endpoint pushed back

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    @property
    def in_use(self) -> int:
        with self._cond:
            return self._in_use

    def stats(self) -> dict[str, int | bool]:
        """For the run summary: the limit now and at its lowest, the most calls ever in flight,
        latency-following."""
        with self._cond:
            return {
                "llm_limit_now": self._limit,
                "llm_limit_low": self._low,
                "llm_limit_peak": self._peak,
                "llm_workers_auto": self._follow,
            }

    def acquire(self) -> None:
        with self._cond:
            while self._in_use >= self._limit:
                self._cond.wait()
            self._in_use += 1
            self._peak = max(self._peak, self._in_use)
            if self._in_use >= self._limit:
                self._full = True
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
            self._slow_start = False
            self._changed()

    def on_success(self, latency_s: float | None = None) -> None:
        with self._cond:
            self._since_change += 1
            if self._follow and latency_s is not None and self._queueing(latency_s):
                return
            if self._limit >= self.maximum or (self._follow and not self._full):
                return
            self._credit += 1.0 if self._slow_start else 1.0 / self._limit
            if self._credit >= 1.0:
                self._credit = 0.0
                self._limit = min(self.maximum, self._limit + 1)
                self._full = self._in_use >= self._limit
                self._cond.notify()

    def _queueing(self, latency_s: float) -> bool:
        """Inside the lock: note a call's latency; True when the limit dropped for it."""
        self._recent = (
            latency_s
            if self._recent is None
            else self._recent + _RECENT_WEIGHT * (latency_s - self._recent)
        )
        self._floor = self._recent if self._floor is None else min(self._floor, self._recent)
        if self._recent <= QUEUEING_FACTOR * self._floor or self._since_change < self._limit:
            return False
        started_in = getattr(self._local, "epoch", None)
        if started_in is not None and started_in < self._epoch:
            return False
        # Shrink as far as the latency says we overshoot (4x the floor: by half), at most half.
        share = max(0.5, QUEUEING_FACTOR * self._floor / self._recent)
        self._limit = max(self.minimum, min(self._limit - 1, int(self._limit * share)))
        self._slow_start = False
        self._changed()
        return True

    def _changed(self) -> None:
        self._low = min(self._low, self._limit)
        self._credit = 0.0
        self._epoch += 1
        self._since_change = 0
        self._full = False

    def __enter__(self) -> AdaptiveLimit:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
