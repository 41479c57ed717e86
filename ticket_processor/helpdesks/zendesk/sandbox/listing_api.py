"""The sandbox's ticket listings: ``GET /tickets`` (cursor and offset pages), search, export.

Handlers as in ``api.py`` (which routes to them): ``list_tickets`` pages by id with
``page[size]`` / ``page[after]`` / ``page[before]`` (base64 cursors) or by ``page``;
``search`` serves up to Zendesk's 1,000 results (a 422 past them); ``incremental_cursor`` is
the cursor-based incremental export (admins only, 403 otherwise), from a ``start_time`` or a
cursor, in write order; ``incremental_ticket_events`` the time-based ticket event export, with
Zendesk's rules on the store's clock: a ``start_time`` less than a minute old is refused (422
``Too recent start_time``), and events of the last minute are left out (``end_time`` stops
before them, so the next request takes them). Next-page URLs are absolute and point back at the
server called.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from ....sandbox.httpbase import ApiError
from .config import bad_request
from .people import side_loaded_users, wants_users
from .search import run_search
from .sla_api import sideloads
from .ticket_events import exported

if TYPE_CHECKING:
    from .routes import Call, Services

SEARCH_LIMIT = 1000
EVENTS_PAGE = 1000  # events a page of the ticket event export
RECENT = 60  # seconds: the export neither starts nor reports within the last minute


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except ValueError:
        raise bad_request("InvalidPaginationParameter", "cursor is invalid") from None


def int_arg(value: str | None, name: str, default: int) -> int:
    """A query parameter as an integer (``default`` when absent); a 400 when it is not one."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request("InvalidValue", f"{name} must be an integer") from None


def list_tickets(svc: Services, call: Call) -> tuple[int, Any]:
    q = call.query
    if "page[size]" in q or "page[after]" in q or "page[before]" in q:
        size = int_arg(q.get("page[size]"), "page[size]", 100)
        if not 1 <= size <= 100:
            raise bad_request("InvalidPaginationParameter", "page[size] must be between 1 and 100")
        if q.get("page[before]"):
            tickets, more = svc.store.page_before(decode_cursor(q["page[before]"]), size)
        else:
            after = decode_cursor(q["page[after]"]) if q.get("page[after]") else 0
            tickets, more = svc.store.page_after(after, size)
        after_cursor = encode_cursor(tickets[-1]["id"]) if tickets else None
        before_cursor = encode_cursor(tickets[0]["id"]) if tickets else None
        base = f"{call.base}/api/v2/tickets.json?page%5Bsize%5D={size}"
        return 200, {
            "tickets": tickets,
            "meta": {
                "has_more": more,
                "after_cursor": after_cursor,
                "before_cursor": before_cursor,
            },
            "links": {
                "prev": f"{base}&page%5Bbefore%5D={before_cursor}" if before_cursor else None,
                "next": f"{base}&page%5Bafter%5D={after_cursor}" if after_cursor else None,
            },
        }
    per_page = min(max(int_arg(q.get("per_page"), "per_page", 100), 1), 100)
    page = max(int_arg(q.get("page"), "page", 1), 1)
    everything = svc.store.all_tickets()
    chunk = everything[(page - 1) * per_page : page * per_page]
    url = f"{call.base}/api/v2/tickets.json?per_page={per_page}&page="
    return 200, {
        "tickets": chunk,
        "count": len(everything),
        "next_page": f"{url}{page + 1}" if page * per_page < len(everything) else None,
        "previous_page": f"{url}{page - 1}" if page > 1 else None,
    }


def search(svc: Services, call: Call) -> tuple[int, Any]:
    query = call.query.get("query")
    if not query:
        raise bad_request("InvalidValue", "query is required")
    per_page = min(max(int_arg(call.query.get("per_page"), "per_page", 100), 1), 100)
    page = max(int_arg(call.query.get("page"), "page", 1), 1)
    if (page - 1) * per_page >= SEARCH_LIMIT:
        raise ApiError(
            422,
            {
                "error": "invalid",
                "description": "Invalid search: Requested response size was greater than "
                "Search Response Limits",
            },
        )
    sort_by, sort_order = call.query.get("sort_by"), call.query.get("sort_order")
    found = run_search(
        svc.store.all_tickets(), query, sort_by=sort_by, sort_order=sort_order, now=svc.now()
    )
    chunk = found[(page - 1) * per_page : page * per_page]
    params = {"query": query, "per_page": per_page}
    if sort_by:
        params["sort_by"] = sort_by
    if sort_order:
        params["sort_order"] = sort_order
    url = f"{call.base}/api/v2/search.json?{urlencode(params, quote_via=quote)}&page="
    users = {"users": side_loaded_users(svc, call, chunk)} if wants_users(call) else {}
    return 200, {
        "results": [{**t, "result_type": "ticket"} for t in chunk],
        **users,
        "facets": None,
        "count": len(found),
        "next_page": f"{url}{page + 1}" if page * per_page < len(found) else None,
        "previous_page": f"{url}{page - 1}" if page > 1 else None,
    }


def _admins_only(svc: Services) -> None:
    if not svc.config.admin:
        raise ApiError(
            403,
            {
                "error": "Forbidden",
                "description": "You do not have access to this page. Please contact the "
                "account owner of this help desk for further help.",
            },
        )


def incremental_cursor(svc: Services, call: Call) -> tuple[int, Any]:
    _admins_only(svc)
    q = call.query
    per_page = min(max(int_arg(q.get("per_page"), "per_page", 1000), 1), 1000)
    if q.get("cursor"):
        after = decode_cursor(q["cursor"])
    elif q.get("start_time"):
        start = int_arg(q["start_time"], "start_time", 0)
        # Some slack: a ticket written twice in one second is stamped a second ahead.
        if start > svc.now() + 300:
            raise ApiError(
                422,
                {"error": "InvalidValue", "description": "start_time cannot be in the future"},
            )
        after = svc.store.seq_before(start)
    else:
        raise bad_request("InvalidValue", "start_time or cursor is required")
    tickets, last, end = svc.store.export_after(after, per_page)
    tickets, side = sideloads(svc, call, tickets)
    cursor = encode_cursor(last)
    extra = f"&per_page={per_page}" if "per_page" in q else ""
    if wants_users(call):
        extra += f"&include={quote(call.query['include'])}"
    return 200, {
        "tickets": tickets,
        **({"users": side_loaded_users(svc, call, tickets)} if wants_users(call) else {}),
        **side,
        "after_cursor": cursor,
        "before_cursor": None,
        "after_url": f"{call.base}/api/v2/incremental/tickets/cursor.json?cursor={cursor}{extra}",
        "before_url": None,
        "end_of_stream": end,
    }


def incremental_ticket_events(svc: Services, call: Call) -> tuple[int, Any]:
    """``GET /api/v2/incremental/ticket_events?start_time=N[&include=comment_events]``."""
    _admins_only(svc)
    q = call.query
    if not q.get("start_time"):
        raise bad_request("InvalidValue", "start_time is required")
    start = int_arg(q["start_time"], "start_time", 0)
    now = svc.store.now()
    if start > now - RECENT:
        raise ApiError(
            422,
            {
                "error": "InvalidValue",
                "description": "Too recent start_time. Use a start_time older than 1 minute",
            },
        )
    sideloads = [s.strip() for s in q.get("include", "").split(",") if s.strip()]
    comment_events = "comment_events" in sideloads
    before = int(now) - RECENT
    events, more = svc.store.ticket_events(start, before, EVENTS_PAGE)
    # A full page goes on from its last event's second (Zendesk repeats that second's events);
    # the last page from where the left-out minute begins.
    end_time = int(events[-1]["timestamp"]) if more else max(start, before)
    extra = f"&include={quote(','.join(sideloads))}" if sideloads else ""
    return 200, {
        "ticket_events": [exported(e, comment_events=comment_events) for e in events],
        "next_page": f"{call.base}/api/v2/incremental/ticket_events.json"
        f"?start_time={end_time}{extra}",
        "count": len(events),
        "end_time": end_time,
        "end_of_stream": not more,
    }
