"""How solved tickets ended, as Zendesk serves it: satisfaction ratings and ticket metrics.

- ``GET /api/v2/satisfaction_ratings`` (``score``, ``start_time``, ``end_time``; pages of up to
  100, ``next_page``): the ratings of tickets whose survey was sent (``offered``) or answered
  (``good``, ``bad``), oldest first; each names its ``ticket_id``.
- ``GET /api/v2/ticket_metrics`` (pages of up to 100) and ``GET /api/v2/tickets/{id}/metrics``:
  per ticket, ``reopens`` and ``replies`` among Zendesk's fields, the rest left null.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ....sandbox.httpbase import not_found
from .config import bad_request
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
        "created_at": ticket["updated_at"],
        "updated_at": ticket["updated_at"],
    }


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
        moment = parse_iso(ticket["updated_at"]) or 0
        if start <= moment < end:
            found.append(_rating(ticket))
    return _page(call, found, "satisfaction_ratings", "/api/v2/satisfaction_ratings")


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
    ("GET", "/api/v2/ticket_metrics", ticket_metrics),
    ("GET", "/api/v2/tickets/{id}/metrics", ticket_metric),
]
