"""The server's Prometheus metrics (``GET /metrics``), through ``prometheus-client``.

One ``CollectorRegistry`` per server (not the library's global one: a test starts several).
The queue's depth is read when scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..models import Triage

# Seconds from a delivery's arrival to its ticket's written note: the target is seconds.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServeMetrics:
    """Every metric the server exports."""

    def __init__(self, depth: Callable[[], float] = lambda: 0.0) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        # Every delivery a webhook got, by what became of it, so the outcomes add up to the
        # POSTs: ``accepted`` (believed and stored, or recognised as stored already: 200),
        # ``refused`` (4xx, or 503 without a secret: ``deliveries_refused`` says why) and
        # ``not_stored`` (503: the queue failed; the helpdesk sends it again).
        self.received = Counter(
            "ticketbot_deliveries_received",
            "Webhook deliveries received, by outcome: accepted, refused or not_stored",
            ["source", "outcome"],
            registry=r,
        )
        self.duplicates = Counter(
            "ticketbot_deliveries_duplicate",
            "Deliveries acknowledged without storing: a retry of one stored already",
            ["source"],
            registry=r,
        )
        self.refused = Counter(
            "ticketbot_deliveries_refused",
            "Deliveries and API requests refused, by reason",
            ["source", "reason"],
            registry=r,
        )
        self.depth = Gauge(
            "ticketbot_queue_depth", "Deliveries stored and not finished yet", registry=r
        )
        self.depth.set_function(depth)
        self.latency = Histogram(
            "ticketbot_delivery_to_note_seconds",
            "Seconds from a delivery's arrival to its ticket's note written",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tickets = Counter(
            "ticketbot_tickets_triaged",
            "Tickets triaged and written, by engine",
            ["engine"],
            registry=r,
        )
        self.fallbacks = Counter(
            "ticketbot_fallbacks",
            "Tickets another engine answered because the first failed, by the engine that did",
            ["engine"],
            registry=r,
        )
        self.llm_calls = Counter(
            "ticketbot_llm_calls", "LLM requests (first tries and retries)", registry=r
        )
        self.llm_throttled = Counter(
            "ticketbot_llm_rate_limited", "LLM answers that were 429 (rate limited)", registry=r
        )
        self.api = Counter(
            "ticketbot_triage_api_requests",
            "Triage API requests by HTTP status",
            ["status"],
            registry=r,
        )
        self.ready = Gauge(
            "ticketbot_ready",
            "1 when /readyz answers 200 (the models loaded, the health checks not unhealthy)",
            registry=r,
        )

    def triaged(self, triage: Triage) -> None:
        self.tickets.labels(triage.engine).inc()
        if triage.fallback:
            self.fallbacks.labels(triage.engine).inc()
        if triage.engine == "llm" and not triage.cached and not triage.cascaded:
            self.llm_calls.inc()

    def heard(self, event: str, fields: Mapping[str, Any]) -> None:
        """An event of the run's parts: the LLM's retries (a 429 among them)."""
        if event == "llm_retry":
            self.llm_calls.inc()
            if "RateLimit" in str(fields.get("error") or ""):
                self.llm_throttled.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
