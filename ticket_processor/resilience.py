"""The one retry layer: retries, circuit breakers, client-side rate pacing, adaptive concurrency.

Nothing here sleeps or reads the clock on its own: ``sleep``, the clock and the random
generator are injected, so tests assert the waits (``sleep=waits.append``) instead of sleeping.

- ``RetryPolicy`` / ``Retrier``: bounded retries of ``errors.RetryableError`` with exponential
  backoff and jitter; a server's ``Retry-After`` is a floor, never shortened.
- ``CircuitBreaker``: closed -> open after ``threshold`` consecutive dependency failures ->
  half-open after ``reset_after`` seconds -> one trial call -> closed or open again. Its state goes
  through a ``BreakerStorage`` on every change so an open breaker survives into the next cron run.
- ``RateLimitThrottle``: paces requests from Zendesk's ``X-Rate-Limit-Remaining`` so we spread the
  budget instead of running into 429s.
- ``RequestWindow``: a sliding-window count for limits the server does not announce.
- ``AdaptiveLimit``: an AIMD concurrency limit for LLM calls (halve on 429, creep back up).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from .errors import (
    BreakerOpenError,
    HelpdeskConnectionError,
    HelpdeskServerError,
    LLMConnectionError,
    LLMServerError,
    RateLimitedError,
    RetryableError,
)

T = TypeVar("T")

BreakerState = Literal["closed", "open", "half_open"]

# Errors that say "the dependency is down or broken". A 429, a 409 or a 4xx says the
# dependency is up and answered no, so it must not trip the breaker.
DEPENDENCY_FAILURES: tuple[type[BaseException], ...] = (
    HelpdeskServerError,
    HelpdeskConnectionError,
    LLMServerError,
    LLMConnectionError,
)


# --- retry policy -----------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait between tries.

    ``attempt`` in ``delay`` is the number of tries made so far (1 after the first failure);
    the backoff before try ``attempt + 1`` is ``base_delay * 2 ** (attempt - 1)`` capped at
    ``max_delay``, with jitter so parallel workers do not retry in lock-step.
    """

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    jitter: Literal["full", "equal"] = "equal"
    # Tries for a 429 (None: ``attempts``). A throttled dependency is up and will answer once
    # we slow down, so waiting longer beats giving the ticket up.
    throttled_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1 or (
            self.throttled_attempts is not None and self.throttled_attempts < 1
        ):
            raise ValueError("attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, attempt: int) -> float:
        """The un-jittered backoff after ``attempt`` tries."""
        exponent = min(max(attempt - 1, 0), 62)  # 2**62 floats fine; beyond is pointless
        return float(min(self.max_delay, self.base_delay * 2.0**exponent))

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before the next try.

        With ``retry_after`` the wait is at least ``min(retry_after, max_retry_after)`` plus a
        little jitter (at most ``base_delay``) so a crowd of workers told the same moment do not
        all come back in the same millisecond. Without it: backoff with jitter, never above
        ``max_delay``.
        """
        if retry_after is not None:
            floor = min(max(retry_after, 0.0), self.max_retry_after)
            return floor + rng.uniform(0.0, self.base_delay)
        cap = self.backoff(attempt)
        if self.jitter == "full":
            return rng.uniform(0.0, cap)
        return cap / 2.0 + rng.uniform(0.0, cap / 2.0)

    def attempts_for(self, exc: BaseException) -> int:
        if isinstance(exc, RateLimitedError) and self.throttled_attempts is not None:
            return self.throttled_attempts
        return self.attempts

    @property
    def longest_delay(self) -> float:
        """An upper bound of any single ``delay``."""
        return max(self.max_delay, self.max_retry_after + self.base_delay)


# --- circuit breaker ------------------------------------------------------------------


class BreakerStorage(Protocol):
    """Where a breaker keeps its state between runs (``state.StateStore.breaker_storage()``)."""

    def load(self, name: str) -> dict[str, Any] | None: ...

    def save(self, name: str, data: dict[str, Any]) -> None: ...


class MemoryBreakerStorage:
    """Breaker state in a dict: for tests and for runs without a state directory."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def load(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self.data.get(name)
            return dict(found) if found is not None else None

    def save(self, name: str, data: dict[str, Any]) -> None:
        with self._lock:
            self.data[name] = dict(data)


class CircuitBreaker:
    """A breaker per dependency (``"zendesk"``, ``"llm"``), thread-safe, persisted on change.

    Persisted form: ``{"state": "closed"|"open", "failures": int, "opened_at": float|None}``.
    ``half_open`` is not stored: it is "open, and ``reset_after`` has passed", so a breaker
    opened by the last cron run is half-open for this one once its time is up. The clock must
    be wall-clock time (the default ``time.time``) because the state crosses processes.
    """

    def __init__(
        self,
        name: str,
        *,
        threshold: int = 5,
        reset_after: float = 60.0,
        clock: Callable[[], float] = time.time,
        storage: BreakerStorage | None = None,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.name = name
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self._storage = storage if storage is not None else MemoryBreakerStorage()
        self._on_open = on_open
        self._lock = threading.Lock()
        self._open = False
        self._failures = 0
        self._opened_at = 0.0
        # When the current half-open trial started; None = no trial in flight.
        self._trial_started: float | None = None
        self._restore(self._storage.load(name))

    def _restore(self, data: dict[str, Any] | None) -> None:
        # Storage is a file a person might edit or a crash might truncate: anything odd is "closed".
        if not isinstance(data, dict):
            return
        failures = data.get("failures")
        opened_at = data.get("opened_at")
        if isinstance(failures, int) and not isinstance(failures, bool) and failures >= 0:
            self._failures = failures
        if data.get("state") == "open" and isinstance(opened_at, int | float):
            self._open = True
            self._opened_at = float(opened_at)

    def _save(self) -> None:
        self._storage.save(
            self.name,
            {
                "state": "open" if self._open else "closed",
                "failures": self._failures,
                "opened_at": self._opened_at if self._open else None,
            },
        )

    def _elapsed(self) -> float:
        now = self._clock()
        if now < self._opened_at:
            # The clock went back (NTP, a VM restored): re-anchor rather than stay open for hours.
            self._opened_at = now
        return now - self._opened_at

    def _state(self) -> BreakerState:
        if not self._open:
            return "closed"
        return "half_open" if self._elapsed() >= self.reset_after else "open"

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    @property
    def failures(self) -> int:
        """Consecutive dependency failures counted so far."""
        with self._lock:
            return self._failures

    def retry_after(self) -> float:
        """Seconds until an open breaker turns half-open (0 when it is not open)."""
        with self._lock:
            if self._state() != "open":
                return 0.0
            return max(0.0, self.reset_after - self._elapsed())

    def before_call(self) -> None:
        """Let the call through, or raise ``BreakerOpenError`` with the seconds left."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "open":
                raise BreakerOpenError(
                    self.name, retry_after=max(0.0, self.reset_after - self._elapsed())
                )
            now = self._clock()
            # One trial at a time. A trial whose caller vanished without reporting back
            # (a thread killed mid-call) frees the slot after another reset_after.
            if self._trial_started is not None and now - self._trial_started < self.reset_after:
                raise BreakerOpenError(self.name, retry_after=0.0)
            self._trial_started = now

    def record_success(self) -> None:
        with self._lock:
            changed = self._open or self._failures != 0
            self._open = False
            self._failures = 0
            self._trial_started = None
            if changed:
                self._save()

    def record_failure(self) -> None:
        with self._lock:
            was_open = self._open
            self._failures += 1
            self._trial_started = None
            if was_open:
                # A failed half-open trial (or a late failure while open) restarts the wait.
                self._opened_at = self._clock()
            elif self._failures >= self.threshold:
                self._open = True
                self._opened_at = self._clock()
            self._save()
            just_opened = self._open and not was_open
        if just_opened and self._on_open is not None:
            self._on_open(self.name)

    def record_neutral(self) -> None:
        """The call ended without saying anything about the dependency's health (a 429, a 4xx,
        a bug on our side): free the half-open trial slot, change nothing else."""
        with self._lock:
            self._trial_started = None


# --- the retrier ----------------------------------------------------------------------


class Retrier:
    """Runs a call with bounded retries, through an optional breaker.

    A ``Retry-After`` beyond ``policy.max_retry_after`` is not shortened: the error is raised at
    once, because retrying earlier than the server allows only earns another 429.
    """

    def __init__(
        self,
        policy: RetryPolicy = RetryPolicy(),  # frozen, so a shared default is safe
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        breaker: CircuitBreaker | None = None,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
    ) -> None:
        self.policy = policy
        self.breaker = breaker
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()  # random.Random is not safe to share across threads
        self._on_retry = on_retry

    def call(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            if self.breaker is not None:
                self.breaker.before_call()
            try:
                result = fn()
            except BaseException as exc:
                self._account(exc)
                if not isinstance(exc, RetryableError) or attempt >= self.policy.attempts_for(exc):
                    raise
                if exc.retry_after is not None and exc.retry_after > self.policy.max_retry_after:
                    raise
                if self.breaker is not None and self.breaker.state == "open":
                    # No point sleeping before a try the breaker will refuse: refuse now.
                    self.breaker.before_call()
                with self._rng_lock:
                    wait = self.policy.delay(attempt, exc.retry_after, self._rng)
                if self._on_retry is not None:
                    self._on_retry(attempt, exc, wait)
                self._sleep(wait)
                continue
            if self.breaker is not None:
                self.breaker.record_success()
            return result

    def _account(self, exc: BaseException) -> None:
        if self.breaker is None:
            return
        if isinstance(exc, DEPENDENCY_FAILURES):
            self.breaker.record_failure()
        else:
            self.breaker.record_neutral()


# --- client-side rate pacing ----------------------------------------------------------


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
