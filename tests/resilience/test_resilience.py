"""Retry policy, retrier, circuit breaker, rate pacing and adaptive limit — no real sleeping.

Clocks are plain lists/closures advanced by the injected ``sleep``; hypothesis drives the
retry policy and a rule-based model of the breaker.
"""

from __future__ import annotations

import itertools
import random
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from support.clock import FakeClock

from ticket_processor.errors import (
    AuthError,
    BreakerOpenError,
    ConflictError,
    HelpdeskConnectionError,
    HelpdeskRateLimited,
    HelpdeskServerError,
    LLMConnectionError,
    LLMRateLimited,
    LLMServerError,
    RecordInvalidError,
    RetryableError,
)
from ticket_processor.resilience.breaker import CircuitBreaker, MemoryBreakerStorage
from ticket_processor.resilience.pacing import AdaptiveLimit, RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy


def state_of(breaker: CircuitBreaker) -> str:
    """The breaker's state, typed loosely so mypy does not narrow it between assertions."""
    return breaker.state


policies = st.builds(
    RetryPolicy,
    attempts=st.integers(1, 10),
    base_delay=st.floats(0.0, 5.0),
    max_delay=st.floats(0.0, 60.0),
    max_retry_after=st.floats(0.0, 300.0),
    jitter=st.sampled_from(["full", "equal"]),
)
retry_afters = st.none() | st.floats(-5.0, 1000.0, allow_nan=False)


# --- RetryPolicy ------------------------------------------------------------------------


@given(policy=policies, attempt=st.integers(1, 200), retry_after=retry_afters, seed=st.integers())
def test_delay_is_bounded_and_never_below_retry_after(
    policy: RetryPolicy, attempt: int, retry_after: float | None, seed: int
) -> None:
    delay = policy.delay(attempt, retry_after, random.Random(seed))
    assert 0.0 <= delay <= policy.longest_delay
    if retry_after is None:
        assert delay <= policy.max_delay
        assert delay <= policy.base_delay * 2 ** (attempt - 1) + 1e-9
    else:
        assert delay >= min(max(retry_after, 0.0), policy.max_retry_after)


def test_backoff_doubles_from_half_a_second_up_to_eight() -> None:
    policy = RetryPolicy()
    assert [policy.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    rng = random.Random(1)
    equal = [policy.delay(3, None, rng) for _ in range(200)]
    assert min(equal) >= 1.0
    assert max(equal) <= 2.0
    full = RetryPolicy(jitter="full")
    spread = [full.delay(3, None, rng) for _ in range(200)]
    assert min(spread) < 0.5  # full jitter really uses the whole range


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


# --- Retrier ----------------------------------------------------------------------------


def always(exc: BaseException) -> Any:
    calls: list[int] = []

    def fn() -> None:
        calls.append(1)
        raise exc

    return fn, calls


@settings(max_examples=60)
@given(
    policy=policies,
    retry_after=st.none() | st.floats(0.0, 400.0),
    fail_times=st.integers(0, 12),
)
def test_retrier_attempts_bounded_and_waits_honour_retry_after(
    policy: RetryPolicy, retry_after: float | None, fail_times: int
) -> None:
    waits: list[float] = []
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= fail_times:
            raise RetryableError("try again", retry_after=retry_after)
        return "ok"

    retrier = Retrier(policy, sleep=waits.append, rng=random.Random(0))
    too_long = retry_after is not None and retry_after > policy.max_retry_after
    if fail_times == 0:
        assert retrier.call(fn) == "ok"
    elif too_long:
        with pytest.raises(RetryableError):
            retrier.call(fn)
        assert len(calls) == 1  # never sends before the server allows
    elif fail_times < policy.attempts:
        assert retrier.call(fn) == "ok"
        assert len(calls) == fail_times + 1
    else:
        with pytest.raises(RetryableError):
            retrier.call(fn)
        assert len(calls) == policy.attempts
    assert len(calls) <= policy.attempts
    assert len(waits) == len(calls) - 1
    for wait in waits:
        assert wait <= policy.longest_delay
        if retry_after is not None:
            assert wait >= retry_after


def test_non_retryable_error_is_raised_at_once() -> None:
    waits: list[float] = []
    fn, calls = always(AuthError("Couldn't authenticate you", status_code=401))
    with pytest.raises(AuthError):
        Retrier(sleep=waits.append).call(fn)
    assert calls == [1]
    assert waits == []
    fn, calls = always(ValueError("bug"))
    with pytest.raises(ValueError, match="bug"):
        Retrier(sleep=waits.append).call(fn)
    assert calls == [1]


def test_last_error_is_reraised_and_on_retry_is_told() -> None:
    seen: list[tuple[int, str, float]] = []
    errors = iter([HelpdeskServerError(f"boom {n}") for n in range(3)])

    def fn() -> None:
        raise next(errors)

    retrier = Retrier(
        RetryPolicy(attempts=3),
        sleep=lambda _s: None,
        on_retry=lambda n, exc, wait: seen.append((n, str(exc), wait)),
    )
    with pytest.raises(HelpdeskServerError, match="boom 2"):
        retrier.call(fn)
    assert [(n, msg) for n, msg, _ in seen] == [(1, "boom 0"), (2, "boom 1")]


@pytest.mark.parametrize(
    ("error", "counts"),
    [
        (HelpdeskServerError("502"), True),
        (HelpdeskConnectionError("refused"), True),
        (LLMServerError("500"), True),
        (LLMConnectionError("timeout"), True),
        (HelpdeskRateLimited("429", retry_after=1.0), False),
        (LLMRateLimited("429", retry_after=1.0), False),
        (ConflictError("409"), False),
        (RecordInvalidError("422"), False),
        (AuthError("401", status_code=401), False),
    ],
)
def test_only_dependency_failures_trip_the_breaker(error: Exception, counts: bool) -> None:
    clock = FakeClock(1_000_000.0)
    breaker = CircuitBreaker("zendesk", threshold=2, clock=clock)
    retrier = Retrier(RetryPolicy(attempts=2), sleep=clock.sleep, breaker=breaker)
    fn, _ = always(error)
    with pytest.raises(type(error)):
        retrier.call(fn)
    assert state_of(breaker) == ("open" if counts else "closed")


def test_open_breaker_stops_retries_without_sleeping_and_success_closes() -> None:
    clock = FakeClock(1_000_000.0)
    opened: list[str] = []
    breaker = CircuitBreaker("llm", threshold=3, clock=clock, on_open=opened.append)
    retrier = Retrier(RetryPolicy(attempts=10), sleep=clock.sleep, breaker=breaker)
    fn, calls = always(LLMServerError("500"))
    with pytest.raises(BreakerOpenError) as info:
        retrier.call(fn)
    assert len(calls) == 3  # the 4th try was refused by the breaker, not sent
    assert opened == ["llm"]
    assert info.value.dependency == "llm"
    assert info.value.retry_after == pytest.approx(60.0)
    sleeps_before = list(clock.sleeps)
    with pytest.raises(BreakerOpenError):
        retrier.call(fn)
    assert clock.sleeps == sleeps_before
    assert len(calls) == 3
    clock.now += 60.0
    assert state_of(breaker) == "half_open"
    assert retrier.call(lambda: 42) == 42
    assert state_of(breaker) == "closed"
    assert breaker.failures == 0


def test_half_open_lets_one_trial_through_at_a_time() -> None:
    clock = FakeClock(1_000_000.0)
    breaker = CircuitBreaker("zendesk", threshold=1, reset_after=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    breaker.before_call()  # the trial
    with pytest.raises(BreakerOpenError):
        breaker.before_call()
    breaker.record_failure()  # trial failed: open again, full wait
    assert state_of(breaker) == "open"
    assert breaker.retry_after() == pytest.approx(10)
    clock.now += 10
    breaker.before_call()
    breaker.record_neutral()  # a 429 on the trial says nothing: the slot is free again
    breaker.before_call()
    breaker.record_success()
    assert state_of(breaker) == "closed"


def test_breaker_survives_a_new_process_through_its_storage() -> None:
    clock = FakeClock(1_000_000.0)
    storage = MemoryBreakerStorage()
    first = CircuitBreaker("zendesk", threshold=2, reset_after=60, clock=clock, storage=storage)
    first.record_failure()
    first.record_failure()
    clock.now += 30
    second = CircuitBreaker("zendesk", threshold=2, reset_after=60, clock=clock, storage=storage)
    assert state_of(second) == "open"
    assert second.retry_after() == pytest.approx(30)
    clock.now += 30
    assert state_of(second) == "half_open"


@pytest.mark.parametrize(
    "data",
    [{"state": "open"}, {"state": "open", "opened_at": "x"}, {"failures": -3}, {"failures": True}],
)
def test_breaker_treats_damaged_storage_as_closed(data: dict[str, Any]) -> None:
    storage = MemoryBreakerStorage()
    storage.save("llm", data)
    breaker = CircuitBreaker("llm", storage=storage, clock=FakeClock(1_000_000.0))
    assert state_of(breaker) == "closed"
    assert breaker.failures == 0


def test_breaker_reanchors_when_the_clock_goes_back() -> None:
    clock = FakeClock(1_000_000.0)
    breaker = CircuitBreaker("llm", threshold=1, reset_after=60, clock=clock)
    breaker.record_failure()
    clock.now -= 3600
    assert breaker.retry_after() <= 60
    clock.now += 60
    assert state_of(breaker) == "half_open"


class BreakerModel(RuleBasedStateMachine):
    """The breaker against a five-line model, including reloads from storage (a new cron run)."""

    THRESHOLD = 3
    RESET = 60.0

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(1_000_000.0)
        self.storage = MemoryBreakerStorage()
        self.opened: list[str] = []
        self.breaker = self._new()
        # the model
        self.failures = 0
        self.open = False
        self.opened_at = 0.0
        self.trial = False
        self.expected_opens = 0

    def _new(self) -> CircuitBreaker:
        return CircuitBreaker(
            "dep",
            threshold=self.THRESHOLD,
            reset_after=self.RESET,
            clock=self.clock,
            storage=self.storage,
            on_open=self.opened.append,
        )

    def model_state(self) -> str:
        if not self.open:
            return "closed"
        return "half_open" if self.clock.now - self.opened_at >= self.RESET else "open"

    @rule(seconds=st.floats(0.0, 100.0))
    def time_passes(self, seconds: float) -> None:
        self.clock.now += seconds

    def _try(self) -> bool:
        allowed = self.model_state() == "closed" or (
            self.model_state() == "half_open" and not self.trial
        )
        if allowed:
            self.breaker.before_call()
            if self.model_state() == "half_open":
                self.trial = True
        else:
            with pytest.raises(BreakerOpenError):
                self.breaker.before_call()
        return allowed

    @rule()
    def call_succeeds(self) -> None:
        if self._try():
            self.breaker.record_success()
            self.failures, self.open, self.trial = 0, False, False

    @rule()
    def call_fails(self) -> None:
        if self._try():
            self.breaker.record_failure()
            self.failures += 1
            self.trial = False
            if self.open:
                self.opened_at = self.clock.now
            elif self.failures >= self.THRESHOLD:
                self.open, self.opened_at = True, self.clock.now
                self.expected_opens += 1

    @rule()
    def call_is_throttled(self) -> None:
        if self._try():
            self.breaker.record_neutral()
            self.trial = False

    @precondition(lambda self: self.model_state() == "half_open" and not self.trial)
    @rule()
    def trial_in_flight_blocks_others(self) -> None:
        self.breaker.before_call()
        with pytest.raises(BreakerOpenError):
            self.breaker.before_call()
        self.breaker.record_neutral()

    @rule()
    def next_cron_run(self) -> None:
        self.breaker = self._new()
        self.trial = False  # an in-flight trial does not outlive its process

    @invariant()
    def agrees_with_model(self) -> None:
        assert self.breaker.state == self.model_state()
        assert self.breaker.failures == self.failures
        assert len(self.opened) == self.expected_opens
        if self.model_state() == "open":
            assert 0 < self.breaker.retry_after() <= self.RESET


BreakerModel.TestCase.settings = settings(max_examples=80, stateful_step_count=40, deadline=None)
test_breaker_matches_model = BreakerModel.TestCase


# --- RateLimitThrottle ------------------------------------------------------------------


def test_throttle_does_not_wait_while_budget_is_plentiful() -> None:
    clock = FakeClock(1_000_000.0)
    throttle = RateLimitThrottle(clock=clock, sleep=clock.sleep)
    assert throttle.wait() == 0.0  # nothing known yet
    throttle.observe(400, 300)
    for _ in range(50):
        assert throttle.wait() == 0.0
    assert clock.sleeps == []


def test_throttle_spreads_a_low_budget_over_the_rest_of_the_window() -> None:
    clock = FakeClock(1_000_000.0)
    throttle = RateLimitThrottle(clock=clock, sleep=clock.sleep, window=60, reserve=5)
    throttle.observe(100, 15)  # 10 requests may go in the next 60 s
    start = clock.now
    sent: list[float] = []
    for _ in range(12):
        throttle.wait()
        sent.append(clock.now - start)
    in_window = [t for t in sent if t < 60]
    assert len(in_window) <= 10  # the reserve is never spent
    assert sent[-1] >= 60  # the rest waited for the next window
    gaps = [b - a for a, b in itertools.pairwise(in_window)]
    assert min(gaps) > 4.0  # spread, not a burst


def test_throttle_waits_for_the_next_window_when_only_the_reserve_is_left() -> None:
    clock = FakeClock(1_000_000.0)
    throttle = RateLimitThrottle(clock=clock, sleep=clock.sleep, window=60, reserve=5)
    throttle.observe(200, 100)
    clock.now += 20
    throttle.observe(200, 4)
    assert throttle.wait() == pytest.approx(40)
    throttle.observe(200, 199)  # a fresh window
    assert throttle.wait() == 0.0


def test_throttle_defer_holds_everyone_until_retry_after() -> None:
    clock = FakeClock(1_000_000.0)
    throttle = RateLimitThrottle(clock=clock, sleep=clock.sleep)
    throttle.defer(30)
    throttle.defer(5)  # a shorter wish does not shorten the longer one
    assert throttle.wait() == pytest.approx(30)
    assert throttle.wait() == 0.0


def test_throttle_gives_concurrent_callers_distinct_slots() -> None:
    clock = FakeClock(1_000_000.0)
    slept: list[float] = []
    lock = threading.Lock()

    def record(seconds: float) -> None:
        with lock:
            slept.append(seconds)

    throttle = RateLimitThrottle(clock=clock, sleep=record, window=60, reserve=0)
    throttle.observe(100, 20)
    threads = [threading.Thread(target=throttle.wait) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(slept) >= 19
    assert len(set(round(s, 6) for s in slept)) == len(slept)
    assert max(slept) < 60


# --- AdaptiveLimit ------------------------------------------------------------------------


def test_adaptive_limit_halves_and_creeps_back() -> None:
    limit = AdaptiveLimit(8, minimum=2)
    limit.on_throttled()
    assert limit.limit == 4
    limit.on_throttled()
    limit.on_throttled()
    assert limit.limit == 2  # not below the minimum
    for _ in range(2):
        limit.on_success()
    assert limit.limit == 3
    for _ in range(100):
        limit.on_success()
    assert limit.limit == 8


def test_adaptive_limit_blocks_at_the_limit_and_wakes_on_release() -> None:
    limit = AdaptiveLimit(2)
    limit.acquire()
    limit.acquire()
    got = threading.Event()

    def third() -> None:
        with limit:
            got.set()

    thread = threading.Thread(target=third)
    thread.start()
    assert not got.wait(0.05)
    limit.release()
    assert got.wait(5)
    thread.join(5)
    limit.release()
    assert limit.in_use == 0
    with pytest.raises(RuntimeError):
        limit.release()


def test_one_wave_of_429s_halves_once() -> None:
    limit = AdaptiveLimit(16)
    barrier = threading.Barrier(8)

    def worker() -> None:
        with limit:
            barrier.wait(5)  # all eight were sent before any 429 came back
            limit.on_throttled()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert limit.limit == 8
    with limit:
        limit.on_throttled()  # a request sent after the decrease counts again
    assert limit.limit == 4


def test_a_unit_retried_as_a_whole_counts_each_request_once_on_the_breaker() -> None:
    """A Freshdesk write (read, note, update) is retried as a unit by ``without_breaker()``;
    its requests go through ``once``: three failed tries are three failures, not six."""
    clock = FakeClock(1_000_000.0)
    breaker = CircuitBreaker("freshdesk", threshold=4, clock=clock)
    retrier = Retrier(RetryPolicy(attempts=3), sleep=clock.sleep, breaker=breaker)
    unit = retrier.without_breaker()
    fn, calls = always(HelpdeskServerError("503", status_code=503))
    with pytest.raises(HelpdeskServerError):
        unit.call(lambda: retrier.once(fn))
    assert len(calls) == 3
    assert state_of(breaker) == "closed"  # 3 failures under a threshold of 4
    assert clock() > 1_000_000.0  # the unit waited between its tries
