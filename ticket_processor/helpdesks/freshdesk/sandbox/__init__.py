"""A local Freshdesk API v2 server: tests, benchmarks, `ticketbot sandbox --helpdesk freshdesk`.

    from ticket_processor.helpdesks.freshdesk.sandbox import FreshdeskConfig, serve_in_thread

    with serve_in_thread(FreshdeskConfig(plan="pro")) as sb:
        ...  # talk to sb.url with basic auth (sb.config.api_key, "X")

Modules: ``config`` (knobs, plans, Freshdesk's error bodies), ``records`` (ticket and note JSON,
field checks), ``store`` (tickets, notes), ``directory`` (groups, agents), ``solutions`` (help
centre), ``query`` (search language), ``limits`` (credits a minute), ``routes`` / ``api`` /
``api_tickets`` (endpoints), ``server`` (auth, knobs, counters), ``serving`` (HTTP, threads).
``openapi.yaml`` describes exactly what is served. Generic pieces (HTTP plumbing, the state
file, jobs, fault scripts) are the Zendesk sandbox's, imported.
"""

from __future__ import annotations

from .config import PLAN_LIMITS, FreshdeskConfig, PlanLimits
from .serving import RunningFreshdesk, serve_forever, serve_in_thread
from .store import FreshdeskStore

__all__ = [
    "PLAN_LIMITS",
    "FreshdeskConfig",
    "FreshdeskStore",
    "PlanLimits",
    "RunningFreshdesk",
    "serve_forever",
    "serve_in_thread",
]
