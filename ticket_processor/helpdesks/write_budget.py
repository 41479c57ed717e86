"""The helpdesk account's write budget, shared by every process through the LLM budget's Redis.

A helpdesk limits an account, not a process: four ``backfill --shard i/4`` pods that each pace
their updates alone would together send four times the account's update limit and meet its
429s. With ``TICKETBOT_LLM_BUDGET=redis://...`` set, every write request (any method but
``GET``/``HEAD``: Zendesk's ``update_many`` jobs, ticket ``PUT``s; Freshdesk's ticket ``PUT``s
and notes) of every process first takes its place in one ``SharedWindow`` in that Redis, under
a key named after the helpdesk and its account's host (``ticketbot:helpdesk:zendesk:acme.
zendesk.com``: no secret in it), so all of them together never send more than the account's
write limit in any 60 s.

The limit is the helpdesk's documented one, as its ``Wire.write_limit`` reads it from the
account's announced request limit (Zendesk: 100 ticket updates a minute, never more than the
account's ``X-Rate-Limit``; Freshdesk: the ticket-update limit of the plan whose
``X-RateLimit-Total`` it announces), lowered by ``TICKETBOT_HELPDESK_WRITES_PER_MINUTE`` when set
(to leave room for other integrations, say); a 429 any process meets holds every process's
writes for its ``Retry-After``. Waiting for the budget is not a failure; Redis unreachable: the
process writes at a quarter of the limit and says so once (``SharedWindow``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..resilience.deadline import RunDeadline
from ..resilience.shared_window import WINDOW_S, SharedWindow

# A write is granted by Redis's clock and counted by the helpdesk when it arrives, a moment
# later that varies (a busy host, the throttle, the connection): the budget's window is this
# much longer than the helpdesk's minute, so writes granted a minute apart still arrive apart.
# Measured: 287 answered in the sandbox's busiest 60 s for 280 granted in any 60 s without it.
ARRIVAL_MARGIN_S = 3.0
# Above any helpdesk's write limit: the budget's own cap when no setting lowers it (each write
# takes the limit its helpdesk's wire reads from the answers).
NO_CAP = 1_000_000
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def write_budget_key(kind: str, base_url: str) -> str:
    """One budget per helpdesk account: its kind and host (port included), never a credential."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"ticketbot:helpdesk:{kind}:{host}"


def is_write(method: str) -> bool:
    return method.upper() not in READ_METHODS


class HelpdeskWriteBudget(SharedWindow):
    """The writes one process takes from its helpdesk account's shared budget; thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        key: str,
        limit: int | None = None,
        window: float = WINDOW_S + ARRIVAL_MARGIN_S,
        deadline: RunDeadline | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        client: Any = None,
    ) -> None:
        self.configured = limit
        super().__init__(
            url,
            key=key,
            limit=NO_CAP,
            window=window,
            deadline=deadline,
            clock=clock,
            sleep=sleep,
            client=client,
            setting="TICKETBOT_LLM_BUDGET",
            name="helpdesk write budget",
            what="a helpdesk write",
        )

    def take_write(self, documented: int, announced: int | None) -> None:
        """Wait for one write's place: at most the account's write limit (the setting, else
        the helpdesk's ``documented`` one), never more than the requests a minute the account
        announced, in any window across every process."""
        limit = self.configured or documented
        if announced:
            limit = min(limit, announced)
        self.acquire(limit=max(1, limit))

    def stats(self) -> dict[str, object]:
        with self._lock:
            return {
                "helpdesk_budget_waits": self.waits,
                "helpdesk_budget_waited_s": round(self.waited_s, 3),
                "helpdesk_budget_offline_writes": self.offline_takes,
            }
