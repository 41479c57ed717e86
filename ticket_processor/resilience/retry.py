"""The one retry layer: retries, circuit breakers, client-side rate pacing, adaptive concurrency.

Nothing here sleeps or reads the clock on its own: ``sleep``, the clock and the random
generator are injected, so tests assert the waits (``sleep=waits.append``) instead of sleeping.

- ``RetryPolicy`` / ``Retrier`` (here): bounded retries of ``errors.RetryableError`` with
  exponential backoff and jitter; a server's ``Retry-After`` is a floor, never shortened.
- ``CircuitBreaker`` (``breaker.py``): opens after consecutive dependency failures, persisted.
- ``RateLimitThrottle``, ``RequestWindow``, ``AdaptiveLimit`` (``pacing.py``): Zendesk's
  rate-limit headers, counted windows, AIMD concurrency for LLM calls.
- ``LLMPacer`` (``llm_client/pacer.py``): in-flight calls and tokens per minute kept under the LLM
  provider's ``x-ratelimit-*`` headers, and the concurrency that follows from them.

Each is imported from the module that defines it, as named above.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from ..errors import (
    HelpdeskConnectionError,
    HelpdeskServerError,
    LLMConnectionError,
    LLMServerError,
    RateLimitedError,
    RetryableError,
)
from .breaker import CircuitBreaker
from .deadline import RunDeadline

__all__ = ["DEPENDENCY_FAILURES", "Retrier", "RetryPolicy"]

T = TypeVar("T")

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


# --- the retrier ----------------------------------------------------------------------


class Retrier:
    """Runs a call with bounded retries, through an optional breaker.

    A ``Retry-After`` beyond ``policy.max_retry_after`` is not shortened: the error is raised at
    once, because retrying earlier than the server allows only earns another 429. With the run's
    ``deadline``, no try starts after its grace and no back-off sleeps past it: ``RunOutOfTime``.
    """

    def __init__(
        self,
        policy: RetryPolicy = RetryPolicy(),  # frozen, so a shared default is safe
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        breaker: CircuitBreaker | None = None,
        on_retry: Callable[[int, BaseException, float], None] | None = None,
        deadline: RunDeadline | None = None,
    ) -> None:
        self.policy = policy
        self.breaker = breaker
        self.deadline = deadline
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self._rng_lock = threading.Lock()  # random.Random is not safe to share across threads
        self._on_retry = on_retry

    def call(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            if self.deadline is not None:
                self.deadline.check("the call")
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
                left = self.deadline.left() if self.deadline is not None else None
                if self.deadline is not None and left is not None and wait >= left:
                    raise self.deadline.out_of_time(f"another try after: {exc}") from exc
                if self._on_retry is not None:
                    self._on_retry(attempt, exc, wait)
                self._sleep(wait)
                continue
            if self.breaker is not None:
                self.breaker.record_success()
            return result

    def once(self, fn: Callable[[], T]) -> T:
        """One try through the breaker, never retried: a request inside a unit of requests
        that ``without_breaker()`` retries as a whole (each request is still accounted)."""
        if self.breaker is not None:
            self.breaker.before_call()
        try:
            result = fn()
        except BaseException as exc:
            self._account(exc)
            raise
        if self.breaker is not None:
            self.breaker.record_success()
        return result

    def without_breaker(self) -> Retrier:
        """The same policy and sleep, for retrying a unit whose requests go through ``once``
        (so the breaker counts each request once, not the unit again)."""
        return Retrier(self.policy, sleep=self._sleep, rng=self._rng, on_retry=self._on_retry)

    def _account(self, exc: BaseException) -> None:
        if self.breaker is None:
            return
        if isinstance(exc, DEPENDENCY_FAILURES):
            self.breaker.record_failure(exc)
        else:
            self.breaker.record_neutral()
