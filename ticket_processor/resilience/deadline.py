"""The run's own bound: ``--max-runtime`` as an upper bound on the whole run, not a wish.

``RunDeadline`` has two moments. When the *budget* (``--max-runtime``) is spent, the run takes no
new ticket. When the *grace* after it is over too, every wait ends: a retry's back-off, a
throttle's pause, a helpdesk call, polling a helpdesk job. ``run_grace`` says how long the grace
is: a tenth of the budget, at least ``MIN_GRACE`` and at most ``MAX_GRACE`` seconds — the time
to flush what is in flight.
What was still waiting is left to the next run (``errors.RunOutOfTime``): the write journal
keeps a job that stayed queued, and the cursor does not pass a ticket that was not written.

The clock is injected (the run's ``Runtime.clock``); nothing here sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..errors import RunOutOfTime

MIN_GRACE = 1.0  # seconds; a write round trip, so a short budget still writes what it analysed
MAX_GRACE = 30.0  # seconds; well inside the 60 s a scheduler's kill allows past --max-runtime


def run_grace(budget: float) -> float:
    """The grace after a budget of ``budget`` seconds: a tenth of it, within the bounds."""
    return min(MAX_GRACE, max(MIN_GRACE, budget / 10.0))


class RunDeadline:
    """The run's budget and the end of its grace, on ``clock``; unbounded without a budget."""

    def __init__(
        self,
        budget: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        grace: float | None = None,
    ) -> None:
        self._clock = clock
        self.budget = budget
        self.grace = 0.0 if budget is None else (run_grace(budget) if grace is None else grace)
        started = clock()
        self._budget_ends = None if budget is None else started + budget
        self._ends = None if budget is None else started + budget + self.grace

    def length(self) -> float | None:
        """The seconds the run may take in all, budget and grace; None without a budget."""
        return None if self.budget is None else self.budget + self.grace

    def spent(self) -> bool:
        """The budget is spent: take no new ticket."""
        return self._budget_ends is not None and self._clock() >= self._budget_ends

    def left(self) -> float | None:
        """Seconds until the grace ends (never below 0); None when the run has no bound."""
        if self._ends is None:
            return None
        return max(0.0, self._ends - self._clock())

    def cap(self, seconds: float) -> float:
        """``seconds``, or less when the grace ends sooner."""
        left = self.left()
        return seconds if left is None else min(seconds, left)

    def check(self, doing: str) -> None:
        """Raise ``RunOutOfTime`` when the grace is over; ``doing`` says what was not done."""
        left = self.left()
        if left is not None and left <= 0:
            raise self.out_of_time(doing)

    def out_of_time(self, doing: str) -> RunOutOfTime:
        return RunOutOfTime(
            f"--max-runtime {self.budget:g} s and its grace of {self.grace:g} s are spent: "
            f"{doing} is left to the next run"
        )
