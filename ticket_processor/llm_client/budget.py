"""One LLM budget shared by every process on the same key: calls and tokens per minute in Redis.

Providers limit an organisation, not a process: a hundred CronJobs on one API key that each pace
themselves alone meet in a 429 storm. With ``TICKETBOT_LLM_BUDGET=redis://host:port/db`` every
LLM call of every ticketbot process (``run``, ``eval``, ``backfill``, ``serve``) first takes its
share from one budget in Redis, through one server-side script, so the check and the taking are
one atomic step whatever the number of processes:

- at most ``rpm`` calls and ``tpm`` tokens (the prompt's estimate plus ``max_tokens``, as the
  provider counts them) in any sliding ``window`` (60 s), the time being Redis's own clock, so
  hosts whose clocks differ still agree;
- at most ``burst`` calls in any second (a tenth of a minute's calls, at least 2), since
  providers often enforce the minute's limit per second: a full minute's budget is never spent
  in one burst, yet one process alone can use all of it;
- a 429 seen by any process holds every process for its ``Retry-After``, at most 15 minutes
  (``MAX_HOLD_S``); an answer's ``x-ratelimit-limit-requests`` below ``rpm`` lowers the budget
  for everyone for ten minutes.

A call that does not fit the window waits (the wait is not a failure, and the ticket keeps its
LLM); only the run's ``--max-runtime`` ends the wait (``RunOutOfTime``). A hold longer than
``HOLD_WAIT_S`` is not waited out: the call raises ``LLMRateLimited`` at once, so the ticket goes
to the local engines (the learned model, the rules) and is noted as a fallback, and the process
says so once (a warning: on stderr, and in the run's log). A run therefore always ends by
itself, with or without ``--max-runtime``. When Redis cannot be reached the
process paces itself at a conservative share of the budget (``OFFLINE_SHARE``) in a local
window, says so once, and tries Redis again after ``RETRY_REDIS_S``: it never hangs on Redis.

The window itself, the Redis script and the offline share are ``resilience/shared_window.py``'s
``SharedWindow``, which the helpdesk's write budget (``helpdesks/write_budget.py``) shares;
this module adds what is the LLM's: the tokens, the provider's ``x-ratelimit-*`` headers and
the budget's settings.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigError, LLMRateLimited
from ..resilience.deadline import RunDeadline
from ..resilience.shared_window import (
    LOWERED_FOR_S,
    OFFLINE_SHARE,
    REDIS_TIMEOUT_S,
    RETRY_REDIS_S,
    WINDOW_S,
    SharedWindow,
)
from .pacer import parse_rate_limits

__all__ = [
    "HOLD_WAIT_S",
    "LOWERED_FOR_S",
    "OFFLINE_SHARE",
    "REDIS_TIMEOUT_S",
    "RETRY_REDIS_S",
    "WINDOW_S",
    "SharedBudget",
    "default_key",
]


log = logging.getLogger(__name__)

# A shared hold (another process's 429) with more than this left is not waited out: the
# retry policy waits out a Retry-After of up to a minute itself, so a wait this long is
# still one a call would have made alone; anything longer and the local engines answer now.
HOLD_WAIT_S = 30.0


def default_key(api_key: str | None, base_url: str | None) -> str:
    """One budget per API key and endpoint (a digest: the key itself never reaches Redis)."""
    digest = hashlib.sha256(f"{base_url or 'openai'}\n{api_key or ''}".encode()).hexdigest()
    return f"ticketbot:llm:{digest[:16]}"


class SharedBudget(SharedWindow):
    """The budget one process takes its LLM calls from; thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        key: str,
        rpm: int,
        tpm: int | None = None,
        window: float = WINDOW_S,
        deadline: RunDeadline | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        client: Any = None,
    ) -> None:
        if rpm < 1:
            raise ConfigError("TICKETBOT_LLM_RPM must be at least 1 with TICKETBOT_LLM_BUDGET")
        super().__init__(
            url,
            key=key,
            limit=rpm,
            tokens_limit=tpm,
            window=window,
            deadline=deadline,
            clock=clock,
            sleep=sleep,
            client=client,
            setting="TICKETBOT_LLM_BUDGET",
            name="LLM budget",
            what="an LLM call",
            wait_out_holds=HOLD_WAIT_S,
        )
        self._told_held = threading.Event()

    @property
    def rpm(self) -> int:
        return self.limit

    @property
    def tpm(self) -> int:
        return self.tokens_limit

    def held(self, seconds: float) -> None:
        """Another process's 429 holds the key longer than ``HOLD_WAIT_S``: not worth a wait.
        Said once per process, then every call raises at once until the hold ends."""
        if not self._told_held.is_set():
            self._told_held.set()
            log.warning(
                "the LLM is held for %.0f s by a rate limit (429) on the shared %s (%s): "
                "tickets go to the local engines (learned model, rules) until then",
                seconds,
                self.name,
                self.setting,
            )
        raise LLMRateLimited(
            f"the shared {self.name} holds every call for {seconds:.0f} s after a 429",
            retry_after=seconds,
        )

    def observe(self, headers: Mapping[str, str] | None, *, retry_after: float | None) -> None:
        """What an answer said: a 429's ``Retry-After`` holds everyone; a lower announced
        request limit lowers the budget for everyone."""
        if retry_after is not None and retry_after > 0:
            self.hold(retry_after)
        limits = parse_rate_limits(headers) if headers is not None else None
        if limits is not None and limits.limit_requests:
            self.lower(int(limits.limit_requests))

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "llm_budget_waits": self.waits,
                "llm_budget_waited_s": round(self.waited_s, 3),
                "llm_budget_offline_calls": self.offline_takes,
            }
