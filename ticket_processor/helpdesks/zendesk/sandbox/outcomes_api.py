"""How solved tickets ended, as Zendesk serves it: satisfaction ratings and ticket metrics.

- ``GET /api/v2/satisfaction_ratings`` (``score``, ``start_time``, ``end_time``; pages of up to
  100, ``next_page``): the ratings of tickets whose survey was sent (``offered``) or answered
  (``good``, ``bad``), oldest first; each names its ``ticket_id``.
- ``POST /api/v2/tickets/{id}/satisfaction_rating`` (``{"satisfaction_rating": {"score":
  "good" | "bad", "comment"}}``): the requester's answer to the survey of a solved (or closed)
  ticket; Zendesk takes it from the requester alone, the sandbox from its API user speaking for
  them, so a rating can be made from outside as a customer would. Another score, or a ticket
  never solved, is a 422.
- ``GET /api/v2/ticket_metrics`` (pages of up to 100) and ``GET /api/v2/tickets/{id}/metrics``:
  per ticket, ``reopens`` and ``replies`` among Zendesk's fields, the rest left null.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ....sandbox.httpbase import not_found
from .config import bad_request, invalid_field, record_invalid
from .listing_api import int_arg
from .records import parse_iso
from .routes import Call, Handler, Services

PER_PAGE = 100
SCORES = ("offered", "unoffered", "good", "bad")


def _page(call: Call, items: list[Any], key: str, path: str) -> tuple[int, Any]:
    per_page = min(max(int_arg(call.query.get("per_page"), "per_page", PER_PAGE), 1), PER_PAGE)
    page = max(int_arg(call.query.get("page"), "page", 1), 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    more = page * per_page < len(items)
    params = {k: v for k, v in call.query.items() if k != "page"}
    url = f"{call.base}{path}.json?{urlencode({**params, 'page': page + 1})}"
    return 200, {key: chunk, "next_page": url if more else None, "count": len(items)}


def _rating(ticket: dict[str, Any]) -> dict[str, Any]:
    rating = ticket.get("satisfaction_rating") or {}
    return {
        "id": rating.get("id"),
        "url": None,
        "assignee_id": ticket.get("assignee_id"),
        "group_id": ticket.get("group_id"),
        "requester_id": ticket.get("requester_id"),
        "ticket_id": ticket["id"],
        "score": rating.get("score"),
        "comment": rating.get("comment"),
        "created_at": _rated_at(ticket),
        "updated_at": _rated_at(ticket),
    }


def _rated_at(ticket: dict[str, Any]) -> str:
    """When the rating was given: its own stamp, else (a rating seeded with the ticket) the
    ticket's last update."""
    return str((ticket.get("satisfaction_rating") or {}).get("created_at") or ticket["updated_at"])


def satisfaction_ratings(svc: Services, call: Call) -> tuple[int, Any]:
    wanted = call.query.get("score")
    if wanted is not None and wanted not in (*SCORES, "received"):
        raise bad_request("InvalidValue", f"score must be one of {', '.join(SCORES)}")
    start = int_arg(call.query.get("start_time"), "start_time", 0)
    end = int_arg(call.query.get("end_time"), "end_time", 2**40)
    found = []
    for ticket in sorted(svc.store.all_tickets(), key=lambda t: t["id"]):
        score = (ticket.get("satisfaction_rating") or {}).get("score")
        if score in (None, "unoffered") and wanted != "unoffered":
            continue
        if wanted == "received" and score not in ("good", "bad"):
            continue
        if wanted not in (None, "received") and score != wanted:
            continue
        moment = parse_iso(_rated_at(ticket)) or 0
        if start <= moment < end:
            found.append(_rating(ticket))
    return _page(call, found, "satisfaction_ratings", "/api/v2/satisfaction_ratings")


def create_rating(svc: Services, call: Call) -> tuple[int, Any]:
    try:
        ticket = svc.store.get(int(call.args[0]))
    except KeyError:
        raise not_found() from None
    body = call.body.get("satisfaction_rating") if isinstance(call.body, dict) else None
    fields = body if isinstance(body, dict) else {}
    score, comment = fields.get("score"), fields.get("comment")
    if score not in ("good", "bad"):
        raise record_invalid({"score": [invalid_field("score", "must be good or bad")]})
    if ticket["status"] not in ("solved", "closed"):
        raise record_invalid({"ticket": [invalid_field("ticket", "is not solved yet")]})
    reopens = svc.store.reopens.get(ticket["id"], 0)
    text = comment if isinstance(comment, str) else ""
    rated = svc.store.rate(ticket["id"], str(score), reopens=reopens, comment=text)
    return 200, {"satisfaction_rating": [_rating(rated)]}


def _metric(svc: Services, ticket: dict[str, Any]) -> dict[str, Any]:
    ticket_id = int(ticket["id"])
    return {
        "id": ticket_id,
        "ticket_id": ticket_id,
        "url": None,
        "reopens": svc.store.reopens.get(ticket_id, 0),
        "replies": 0,
        "assignee_stations": 0,
        "group_stations": 0,
        "created_at": ticket["created_at"],
        "updated_at": ticket["updated_at"],
        "solved_at": ticket["updated_at"] if ticket["status"] in ("solved", "closed") else None,
    }


def ticket_metrics(svc: Services, call: Call) -> tuple[int, Any]:
    tickets = sorted(svc.store.all_tickets(), key=lambda t: t["id"])
    metrics = [_metric(svc, t) for t in tickets]
    return _page(call, metrics, "ticket_metrics", "/api/v2/ticket_metrics")


def ticket_metric(svc: Services, call: Call) -> tuple[int, Any]:
    try:
        ticket = svc.store.get(int(call.args[0]))
    except KeyError:
        raise not_found() from None
    return 200, {"ticket_metric": _metric(svc, ticket)}


OUTCOME_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/api/v2/satisfaction_ratings", satisfaction_ratings),
    ("POST", "/api/v2/tickets/{id}/satisfaction_rating", create_rating),
    ("GET", "/api/v2/ticket_metrics", ticket_metrics),
    ("GET", "/api/v2/tickets/{id}/metrics", ticket_metric),
]
