"""``ticketbot serve``: the helpdesks' webhooks in, a triage API, health and metrics.

deliveries (what a webhook says and whether to believe it), queue (deliveries stored before
they are acknowledged: SQLite in the state directory, or PostgreSQL), limits (per-source rate
limits), metrics (Prometheus), worker (drains the queue into the run's flow), api (the triage
API and its OpenAPI description), app (the Starlette application), server (uvicorn, start-up
and graceful stop).
"""
