"""The run's bound on the fake clock: the budget, its grace, and the waits it ends — a retry's
back-off, a rate-limit pause, a Zendesk job still queued — without sleeping past it.

The end-to-end runs (a queued job, a slow and a trickling helpdesk) are in
``tests/run/test_run_bound.py``; here every wait is asserted, none is slept.
"""

from __future__ import annotations

import random

import pytest
from support.clock import FakeClock

from ticket_processor.errors import HelpdeskServerError, RunOutOfTime
from ticket_processor.resilience.breaker import CircuitBreaker
from ticket_processor.resilience.deadline import MAX_GRACE, MIN_GRACE, RunDeadline, run_grace
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy


@pytest.mark.parametrize(
    ("budget", "grace"), [(2, MIN_GRACE), (20, 2.0), (300, MAX_GRACE), (540, MAX_GRACE)]
)
def test_the_grace_is_a_tenth_of_the_budget_within_its_bounds(budget: float, grace: float) -> None:
    assert run_grace(budget) == grace
    assert grace <= 60  # "at most a minute", inside a scheduler's kill after --max-runtime


def test_the_budget_then_the_grace_on_the_run_clock(fake_clock: FakeClock) -> None:
    bound = RunDeadline(20, clock=fake_clock)
    assert (bound.spent(), bound.left()) == (False, 22.0)
    fake_clock.advance(20)
    assert (bound.spent(), bound.left()) == (True, 2.0)
    assert bound.cap(5.0) == 2.0
    bound.check("a page")  # the grace is not over yet
    fake_clock.advance(2)
    with pytest.raises(RunOutOfTime, match=r"--max-runtime 20 s and its grace of 2 s .*a page"):
        bound.check("a page")
    unbounded = RunDeadline(None, clock=fake_clock)
    assert (unbounded.spent(), unbounded.left(), unbounded.cap(7.0)) == (False, None, 7.0)


def test_no_back_off_sleeps_past_the_bound_and_the_breaker_does_not_count_it(
    fake_clock: FakeClock,
) -> None:
    started = fake_clock.now
    bound = RunDeadline(10, clock=fake_clock, grace=1.0)
    breaker = CircuitBreaker("zendesk", threshold=3, clock=fake_clock)
    retrier = Retrier(
        RetryPolicy(attempts=5, base_delay=4.0, max_delay=8.0),
        sleep=fake_clock.sleep,
        rng=random.Random(1),
        breaker=breaker,
        deadline=bound,
    )
    fake_clock.advance(8)  # 3 s left of budget and grace

    def failing() -> None:
        fake_clock.advance(0.5)  # the call itself takes time
        raise HelpdeskServerError("Zendesk failed (500)")

    with pytest.raises(RunOutOfTime, match="another try after: Zendesk failed"):
        retrier.call(failing)
    # Slept only while a try could still start inside the bound; the last try's own half
    # second is all that may pass the end (a request is cut by the transport, not here).
    assert sum(fake_clock.sleeps) < 3.0, fake_clock.sleeps
    assert fake_clock.now <= started + 11 + 0.5
    assert breaker.state == "closed"
    fake_clock.advance(5)
    with pytest.raises(RunOutOfTime):  # after the grace no try starts at all
        retrier.call(lambda: None)


def test_a_rate_limit_pause_longer_than_the_time_left_is_not_taken(fake_clock: FakeClock) -> None:
    bound = RunDeadline(10, clock=fake_clock, grace=1.0)
    throttle = RateLimitThrottle(clock=fake_clock, sleep=fake_clock.sleep, deadline=bound)
    throttle.defer(30)  # a Retry-After of 30 s
    fake_clock.advance(5)
    with pytest.raises(RunOutOfTime, match="held 25 s by the rate limit"):
        throttle.wait()
    assert fake_clock.sleeps == []
    free = RateLimitThrottle(clock=fake_clock, sleep=fake_clock.sleep)
    free.defer(3)
    assert free.wait() == 3.0  # without a bound the pause is honoured
