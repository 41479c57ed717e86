"""A local Zendesk-compatible API server for tests, benchmarks, ``ticketbot seed`` and ``demo``.

    from ticket_processor.helpdesks.zendesk.sandbox import SandboxConfig, serve_in_thread

    with serve_in_thread(SandboxConfig(latency_ms=20)) as sb:
        ...  # talk to sb.url with basic auth f"{email}/token", token

Modules: ``config`` (knobs, ``ApiError``), ``records`` (ticket/comment JSON rules),
``store`` (tickets), ``persist`` (state file), ``jobs`` (job statuses), ``search`` (query
language), ``limits`` (rate limits), ``api`` (endpoints), ``server`` (HTTP, auth, knobs),
``httpbase`` (HTTP plumbing shared with the Freshdesk sandbox in ``freshdesk/``).
"""

from __future__ import annotations

from .config import PLAN_LIMITS, SandboxConfig
from .server import RunningSandbox, serve_forever, serve_in_thread
from .store import TicketStore

__all__ = [
    "PLAN_LIMITS",
    "RunningSandbox",
    "SandboxConfig",
    "TicketStore",
    "serve_forever",
    "serve_in_thread",
]
