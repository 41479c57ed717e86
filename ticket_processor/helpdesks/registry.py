"""The one place a ``Helpdesk`` is built from the settings (Zendesk or Freshdesk).

Composition only: the core asks for a ``Helpdesk`` here and never imports an adapter itself.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable

from ..errors import ConfigError
from ..ops.scrub import display_url
from ..resilience.retry import CircuitBreaker, RateLimitThrottle, Retrier, RetryPolicy
from ..settings import Settings
from .protocol import Helpdesk

HELPDESK_RETRY = RetryPolicy(attempts=5, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)


def breaker_name(settings: Settings) -> str:
    """Breakers are keyed on the endpoint: fixing a wrong URL is not punished by the old one's."""
    return f"{settings.helpdesk}@{display_url(settings.helpdesk_base_url)}"


def connect(
    settings: Settings,
    *,
    breaker: CircuitBreaker | None = None,
    marker: str | None = None,
    pool_size: int = 16,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> Helpdesk:
    """The configured helpdesk, ready to use; raises ``ConfigError`` naming what is missing."""
    settings.require_helpdesk()
    retrier = Retrier(HELPDESK_RETRY, breaker=breaker, sleep=sleep, rng=rng)
    throttle = RateLimitThrottle(sleep=sleep)
    marker = marker or f"{settings.tag_prefix}processed"
    timeout = (min(5.0, settings.http_timeout), settings.http_timeout)
    if settings.helpdesk == "freshdesk":
        try:
            freshdesk = importlib.import_module(f"{__package__}.freshdesk.adapter")
        except ImportError:
            raise ConfigError(
                "TICKETBOT_HELPDESK=freshdesk: this build has no Freshdesk adapter yet"
            ) from None
        built: Helpdesk = freshdesk.FreshdeskHelpdesk.from_settings(
            settings,
            retrier=retrier,
            throttle=throttle,
            timeout=timeout,
            marker=marker,
            pool_size=pool_size,
            sleep=sleep,
        )
        return built
    from ..zendesk import ZendeskHelpdesk
    from .zendesk.client import ZendeskClient

    client = ZendeskClient.from_settings(
        settings, retrier=retrier, throttle=throttle, timeout=timeout, pool_size=pool_size
    )
    return ZendeskHelpdesk(client, marker=marker, sleep=sleep, clock=clock)
