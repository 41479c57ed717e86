"""The one fake clock of the tests: time moves only when someone sleeps on it (or the test
moves it), and every wait is recorded, so a test asserts the waits instead of sleeping.

    def test_x(fake_clock: FakeClock) -> None:      # the fixture is in conftest.py
        thing = Thing(clock=fake_clock, sleep=fake_clock.sleep)
        ...
        assert fake_clock.sleeps == [1.0]
"""

from __future__ import annotations

import time


class FakeClock:
    """``clock()`` is ``now``; ``sleep(s)`` records ``s`` and moves ``now`` on by it."""

    def __init__(self, now: float | None = None) -> None:
        # Default: the wall clock's second, as sandboxes refuse a start_time in the future.
        self.now = float(int(time.time())) if now is None else now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"asked to sleep {seconds} s"
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        """Time passing without a sleep (work being done)."""
        self.now += seconds
