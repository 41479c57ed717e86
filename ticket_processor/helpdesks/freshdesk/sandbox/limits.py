"""Freshdesk's rate limits: credits a minute per account, ticket updates and ticket lists.

Fixed one-minute windows on the injected clock, so tests move time instead of sleeping. A
request costs credits (1, plus 2 for each ``include`` on a list); the category limits count
the same credits. A refused request costs nothing. Headers on every answer:
``X-RateLimit-Total``, ``X-RateLimit-Remaining``, ``X-RateLimit-Used-CurrentRequest``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from .config import rate_limited

WINDOW = 60.0


class CreditLimiter:
    """Credits used per named limit in the current minute of ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def _used(self, name: str, window: int) -> int:
        start, used = self._windows.get(name, (window, 0))
        return used if start == window else 0

    def admit(self, checks: list[tuple[str, int]], credits: int) -> int:
        """Spend ``credits`` on every ``(name, limit)``; return the account's remaining credits.

        Raises the 429 (nothing spent) when any limit would be exceeded.
        """
        now = self.clock()
        window = int(now // WINDOW)
        with self._lock:
            for name, limit in checks:
                if self._used(name, window) + credits > limit:
                    raise rate_limited(max(1, math.ceil((window + 1) * WINDOW - now)))
            for name, _limit in checks:
                self._windows[name] = (window, self._used(name, window) + credits)
            return checks[0][1] - self._used(checks[0][0], window)

    def remaining(self, name: str, limit: int) -> int:
        with self._lock:
            return max(0, limit - self._used(name, int(self.clock() // WINDOW)))
