"""How Zendesk's tickets ended, for the risk head (``Helpdesk.outcomes``): the satisfaction
ratings since a time (``GET /api/v2/satisfaction_ratings?start_time=``) and every ticket's
metrics (``GET /api/v2/ticket_metrics``: its ``reopens``), 100 a page each. Zendesk has no
escalation flag on a ticket."""

from __future__ import annotations

from ...models import TicketOutcome
from .client import ZendeskClient

SCORES = frozenset({"good", "bad", "offered", "unoffered"})


def outcomes(client: ZendeskClient, since: int) -> dict[int, TicketOutcome]:
    scores: dict[int, str] = {}
    ratings = client.paged(
        "/api/v2/satisfaction_ratings.json", "satisfaction_ratings", params={"start_time": since}
    )
    for rating in ratings:
        ticket, score = rating.get("ticket_id"), rating.get("score")
        if isinstance(ticket, int) and score in SCORES:
            scores[ticket] = str(score)
    reopens: dict[int, int] = {}
    for metric in client.paged("/api/v2/ticket_metrics.json", "ticket_metrics"):
        ticket, count = metric.get("ticket_id"), metric.get("reopens")
        if isinstance(ticket, int):
            reopens[ticket] = count if isinstance(count, int) else 0
    found: dict[int, TicketOutcome] = {}
    for ticket in {*scores, *reopens}:
        found[ticket] = TicketOutcome(scores.get(ticket), reopens.get(ticket, 0))
    return found
