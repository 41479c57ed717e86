"""Per-source rate limits: a token bucket per source (each helpdesk kind's webhook, ``api``).

A flood from one source (a misfiring trigger, someone hammering the triage API with its token)
is answered 429 with ``Retry-After``, and never slows the other sources. Only authenticated
traffic spends a source's rate: a delivery once its signature is checked (its body is bounded
in size and time before that), an API call once its token is; an unsigned flood is refused 401
one by one and leaves the genuine deliveries their rate. The
rates are far above what a helpdesk sends (Zendesk's trigger at 10 tickets a second is well
inside them). Clock injected; thread-safe.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..helpdesks.registry import KINDS

MAX_BODY = 64 * 1024  # a delivery names a ticket: a few dozen bytes; 64 KiB is generous


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


WEBHOOK_RATE = Rate(50.0, 500)  # each helpdesk kind's webhook
API_RATE = Rate(20.0, 100)  # each call may be an LLM call


def default_rates() -> dict[str, Rate]:
    """``WEBHOOK_RATE`` for every registered kind, ``API_RATE`` for ``api``."""
    return {**{name: WEBHOOK_RATE for name in KINDS}, "api": API_RATE}


class SourceLimits:
    def __init__(
        self,
        rates: dict[str, Rate] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = dict(rates or default_rates())
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = {name: float(rate.burst) for name, rate in self._rates.items()}
        self._at = {name: clock() for name in self._rates}

    def take(self, source: str) -> float | None:
        """None when ``source`` may go on now, else the seconds to wait (``Retry-After``)."""
        rate = self._rates.get(source)
        if rate is None:
            return None
        with self._lock:
            now = self._clock()
            tokens = min(
                float(rate.burst), self._tokens[source] + (now - self._at[source]) * rate.per_second
            )
            self._at[source] = now
            if tokens >= 1.0:
                self._tokens[source] = tokens - 1.0
                return None
            self._tokens[source] = tokens
            return max(1.0, math.ceil((1.0 - tokens) / rate.per_second))
