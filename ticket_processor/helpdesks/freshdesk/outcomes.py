"""How Freshdesk's tickets ended, for the risk head (``Helpdesk.outcomes``): the customers'
survey answers since a time (``GET /api/v2/surveys/satisfaction_ratings?created_since=``, 100
a page), each rating's default question on Freshdesk's scale (103 extremely happy ... 100
neutral ... -103 extremely unhappy) mapped to Zendesk's scores: below 100 ``bad``, above
``good``. A ticket's escalation (``is_escalated``, ``fr_escalated``) is read with the ticket
(``Ticket.helpdesk_escalated``); Freshdesk counts no reopens."""

from __future__ import annotations

from datetime import UTC, datetime

from ...models import TicketOutcome
from .wire import FreshdeskTransport

NEUTRAL = 100


def outcomes(http: FreshdeskTransport, since: int) -> dict[int, TicketOutcome]:
    created = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    found: dict[int, TicketOutcome] = {}
    params = {"created_since": created, "per_page": 100}
    for page in http.pages("/api/v2/surveys/satisfaction_ratings", params):
        for rating in page:
            if not isinstance(rating, dict) or not isinstance(rating.get("ticket_id"), int):
                continue
            answers = rating.get("ratings")
            value = answers.get("default_question") if isinstance(answers, dict) else None
            if not isinstance(value, int) or value == NEUTRAL:
                continue
            found[int(rating["ticket_id"])] = TicketOutcome("bad" if value < NEUTRAL else "good")
    return found
