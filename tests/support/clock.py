"""The one fake clock of the tests: time moves only when someone sleeps on it (or the test
moves it), and every wait is recorded, so a test asserts the waits instead of sleeping.

    def test_x(fake_clock: FakeClock) -> None:      # the fixture is below, loaded by conftest.py
        thing = Thing(clock=fake_clock, sleep=fake_clock.sleep)
        ...
        assert fake_clock.sleeps == [1.0]

Code that wants an aware ``datetime`` (the event log) takes ``fake_clock.utc``. Two more
fixtures start it elsewhere, each set by a marker on the module, class or test:

    pytestmark = pytest.mark.clock(now=START, real_pause=0.001)   # `clock`: a fixed moment
    pytestmark = pytest.mark.desk_clock(back=600)                  # `desk_clock`: behind now

A test that needs a particular moment once builds its own ``FakeClock(now=...)``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from support.markers import marker_options

# `clock`'s moment unless its marker says otherwise: 2027-01-15, a whole minute.
CLOCK_START = 1_800_000_000.0
# How far `desk_clock` starts behind the wall clock unless its marker says otherwise.
DESK_CLOCK_BACK = 300.0


class FakeClock:
    """``clock()`` is ``now``; ``sleep(s)`` records ``s`` and moves ``now`` on by it."""

    def __init__(self, now: float | None = None, *, real_pause: float = 0.0) -> None:
        # Default: the wall clock's second, as sandboxes refuse a start_time in the future.
        self.now = float(int(time.time())) if now is None else now
        self.sleeps: list[float] = []
        # A sandbox's job runner is a real thread: code that polls a job on this clock would
        # otherwise spin without giving it a turn. A millisecond a sleep lets it run.
        self.real_pause = real_pause

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        """``now`` as an aware UTC ``datetime``, for code whose clock returns one."""
        return datetime.fromtimestamp(self.now, UTC)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"asked to sleep {seconds} s"
        self.sleeps.append(seconds)
        self.now += seconds
        if self.real_pause:
            time.sleep(self.real_pause)

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0, days: float = 0.0
    ) -> None:
        """Time passing without a sleep (work being done)."""
        self.now += seconds + 60 * minutes + 3600 * hours + 86400 * days


@pytest.fixture
def fake_clock() -> FakeClock:
    """The shared fake clock, at the wall clock's current second."""
    return FakeClock()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "clock(now=..., real_pause=...): the FakeClock options of `clock`"
    )
    config.addinivalue_line(
        "markers", "desk_clock(back=seconds): how far behind the wall clock `desk_clock` starts"
    )


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """A fake clock at a fixed moment, the same every run: ``CLOCK_START``, or the ``now`` (and
    ``real_pause``) of the test's ``clock`` marker."""
    return FakeClock(**{"now": CLOCK_START, **marker_options(request.node, "clock")})


@pytest.fixture
def desk_clock(request: pytest.FixtureRequest) -> FakeClock:
    """The clock a desk runs on (``pytest.mark.desk(clock="desk_clock")``): the wall clock's
    second, ``DESK_CLOCK_BACK`` (or the ``desk_clock`` marker's ``back``) seconds behind: what
    the test writes is dated in the past until it moves ``desk_clock.now`` on."""
    back = marker_options(request.node, "desk_clock").get("back", DESK_CLOCK_BACK)
    return FakeClock(float(int(time.time())) - back)
