"""Zendesk's rate limits: account requests a minute by plan, Update Ticket and incremental export.

Fixed one-minute windows on the injected clock (``SandboxConfig.clock``), so tests move time
instead of sleeping. A refused request is not counted. Every API answer carries
``X-Rate-Limit`` / ``X-Rate-Limit-Remaining``; a 429 carries ``Retry-After`` in whole seconds.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from ....sandbox.httpbase import ApiError
from .config import SandboxConfig

WINDOW = 60.0

_MESSAGES = {
    "account": "Number of allowed API requests per minute exceeded",
    "update": "Number of allowed ticket update requests per minute exceeded",
    "incremental": "Number of allowed incremental export API requests per minute exceeded",
}


class RateLimiter:
    """Counts requests per named limit in the current minute of ``clock``."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def _used(self, name: str, window: int) -> int:
        start, used = self._windows.get(name, (window, 0))
        return used if start == window else 0

    def admit(self, checks: list[tuple[str, int]]) -> int:
        """Count one request against every ``(name, limit)``; return the account's remaining.

        Raises a 429 ``ApiError`` (nothing counted) when any limit is used up.
        """
        now = self.clock()
        window = int(now // WINDOW)
        with self._lock:
            for name, limit in checks:
                if self._used(name, window) >= limit:
                    retry = max(1, math.ceil((window + 1) * WINDOW - now))
                    raise ApiError(
                        429,
                        {"error": "APIRateLimitExceeded", "description": _MESSAGES[name]},
                        {"Retry-After": str(retry)},
                    )
            remaining = 0
            for i, (name, limit) in enumerate(checks):
                used = self._used(name, window) + 1
                self._windows[name] = (window, used)
                if i == 0:
                    remaining = limit - used
            return remaining

    def remaining(self, name: str, limit: int) -> int:
        with self._lock:
            return max(0, limit - self._used(name, int(self.clock() // WINDOW)))


def checks_for(config: SandboxConfig, *, update: bool, incremental: bool) -> list[tuple[str, int]]:
    """The limits one request counts against; the account limit first."""
    checks = [("account", config.rate_limit)]
    if update:
        checks.append(("update", config.update_limit_per_min))
    if incremental:
        checks.append(("incremental", config.incremental_limit_per_min))
    return checks
