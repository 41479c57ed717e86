"""The one place a ``Helpdesk`` is built from the settings, for whichever kind they choose, and
the settings read for the kinds the registry holds (``load_settings``, the public API's).

Composition only: the run and the commands ask for a ``Helpdesk`` here and never import an
adapter themselves; the chosen kind's adapter (``helpdesks.registry.KINDS``) is imported when
first asked for, and handed the run's retrier, breaker and deadline (``Wiring``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..common.scrub import display_url
from ..helpdesks.descriptor import Wiring
from ..helpdesks.registry import KINDS
from ..helpdesks.write_budget import HelpdeskWriteBudget, write_budget_key
from ..models import Helpdesk
from ..resilience.breaker import CircuitBreaker
from ..resilience.deadline import RunDeadline
from ..resilience.pacing import RateLimitThrottle
from ..resilience.retry import Retrier, RetryPolicy
from ..settings import Settings
from ..settings.read import read_settings

HELPDESK_RETRY = RetryPolicy(attempts=5, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)


def breaker_name(settings: Settings) -> str:
    """Breakers are keyed on the endpoint: fixing a wrong URL is not punished by the old one's."""
    return f"{settings.helpdesk}@{display_url(settings.helpdesk_base_url)}"


def write_budget(
    settings: Settings,
    deadline: RunDeadline | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> HelpdeskWriteBudget | None:
    """The helpdesk account's write budget every process shares, in the LLM budget's Redis
    (``TICKETBOT_LLM_BUDGET``), or None without it; ``sleep`` is the run's (a stop ends a wait
    for the budget)."""
    if settings.llm_budget is None:
        return None
    return HelpdeskWriteBudget(
        settings.llm_budget.get_secret_value(),
        key=write_budget_key(settings.helpdesk, settings.helpdesk_base_url),
        limit=settings.helpdesk_writes_per_minute,
        deadline=deadline,
        sleep=sleep,
    )


def connect(
    settings: Settings,
    *,
    breaker: CircuitBreaker | None = None,
    marker: str | None = None,
    pool_size: int = 16,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
    deadline: RunDeadline | None = None,
    burst_reads: bool = False,
) -> Helpdesk:
    """The configured helpdesk, ready to use; raises ``ConfigError`` naming what is missing.

    ``deadline`` is the run's bound: no request, retry, rate-limit pause or job poll of this
    helpdesk goes past it (``RunOutOfTime``)."""
    settings.require_helpdesk()
    wiring = Wiring(
        retrier=Retrier(HELPDESK_RETRY, breaker=breaker, sleep=sleep, rng=rng, deadline=deadline),
        throttle=RateLimitThrottle(sleep=sleep, deadline=deadline),
        timeout=(min(5.0, settings.http_timeout), settings.http_timeout),
        marker=marker or f"{settings.tag_prefix}processed",
        pool_size=pool_size,
        sleep=sleep,
        clock=clock,
        max_bytes=settings.helpdesk_max_bytes,
        burst_reads=burst_reads,
        write_budget=write_budget(settings, deadline, sleep),
    )
    return KINDS[settings.helpdesk].adapter_builder()(settings.desk, wiring)


# ``settings.read.read_settings`` composes whatever helpdesk kinds it is handed and imports none;
# here the registry is handed to it, read at call time so that a kind registered later is read
# too. The commands and ``ticket_processor.load_settings`` read the settings through this.
def load_settings(
    environ: Mapping[str, str],
    *,
    env_file: Path | None = Path(".env"),
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge ``.env`` < environment < flags and validate once, for every registered helpdesk.

    ``overrides`` are flag values keyed by field name; ``None`` means "flag not given".
    """
    return read_settings(environ, kinds=KINDS, env_file=env_file, overrides=overrides)
