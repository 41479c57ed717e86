"""The run's view of time and chance: one value injected everywhere, so tests move a fake
clock and record the waits instead of sleeping, and runs can be made repeatable.

``Runtime()`` is the real thing; tests pass the one fake clock (``tests/support/clock.py``)
as its clock and sleep. Its ``stop`` is the run's request to stop: ``StopOnSignal`` makes it
on SIGINT / SIGTERM, and the real ``sleep`` is ``stop.sleep``, so every wait of the run ends
as soon as a stop is asked (``resilience.stopping``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .stopping import StopFlag


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    clock: Callable[[], float] = time.monotonic  # intervals: deadlines, latency
    sleep: Callable[[float], None] = time.sleep  # every wait goes through this
    now: Callable[[], datetime] = _utc_now  # wall-clock time: cursors, logs
    rng: random.Random = field(default_factory=random.Random)  # backoff jitter
    stop: StopFlag = field(default_factory=StopFlag)  # SIGINT / SIGTERM, for every wait

    def __post_init__(self) -> None:
        if self.sleep is time.sleep:
            # The real sleep: one a stop ends (a test's own sleep is left as given).
            object.__setattr__(self, "sleep", self.stop.sleep)
