"""What every Zendesk endpoint handler gets and returns, and the routing table's row.

Handlers take a parsed ``Call`` and the ``Services`` and return ``(status, body)`` or raise
``ApiError``; the table itself is in ``api.py``; HTTP, auth, limits and fault knobs are
``server.py``'s business.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ....sandbox.jobs import JobQueue
from .automation import Automation
from .config import SandboxConfig
from .store import TicketStore


@dataclass
class Call:
    """One API request as the handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    base: str  # scheme://host:port the sandbox is bound to (never the client's Host header)
    args: tuple[str, ...] = ()


@dataclass
class Services:
    """What the handlers work on."""

    config: SandboxConfig
    store: TicketStore
    jobs: JobQueue
    rng: random.Random
    now: Callable[[], float]
    automation: Automation  # webhooks, triggers and their deliveries
    count: Callable[[str, int], None] = lambda counter, n: None  # stats counters


Handler = Callable[[Services, Call], tuple[int, Any]]


@dataclass(frozen=True)
class Endpoint:
    """A row of the routing table: method, path pattern, handler, the limits it counts in."""

    method: str
    pattern: str  # the stats key, e.g. "/api/v2/tickets/{id}"
    regex: re.Pattern[str]
    handler: Handler
    update: bool = False  # counts against the Update Ticket limit
    incremental: bool = False  # counts against the incremental export limit
