"""The Zendesk endpoints the sandbox serves: routing table and one function per endpoint.

Handlers take a parsed ``Call`` and return ``(status, body)`` or raise ``ApiError``; HTTP,
auth, limits and fault knobs are ``server.py``'s business; the listings (``GET /tickets``,
search, incremental export) are in ``listing_api.py``. Paths match with or without ``.json``.
Next-page URLs are absolute and point back at the server the client called.
"""

from __future__ import annotations

import re
from typing import Any

from ....sandbox.httpbase import ApiError, not_found
from .config import bad_request, record_invalid, too_many_values
from .deletions_api import DELETION_ROUTES
from .directory import agent_record
from .fields_api import FIELD_ROUTES
from .guide_api import GUIDE_ROUTES
from .incidents_api import INCIDENT_ROUTES
from .listing_api import (
    incremental_cursor,
    incremental_ticket_events,
    int_arg,
    list_tickets,
    search,
)
from .macros_api import MACRO_ROUTES
from .outcomes_api import OUTCOME_ROUTES
from .people import PEOPLE_ROUTES, side_loaded_users, wants_users
from .redactions_api import REDACTION_ROUTES
from .routes import Call, Endpoint, Handler, Services
from .routing_api import ROUTING_ROUTES
from .sla_api import SLA_ROUTES
from .ticket_book import AGENT_ID
from .webhooks_api import WEBHOOK_ROUTES

MAX_MANY = 100


def _ids(call: Call) -> list[int]:
    raw = call.query.get("ids", "")
    try:
        ids = [int(x) for x in raw.split(",") if x.strip()]
    except ValueError:
        raise bad_request("InvalidValue", "ids must be comma-separated integers") from None
    if len(ids) > MAX_MANY:
        raise too_many_values(MAX_MANY)
    return ids


def _object(call: Call, key: str) -> Any:
    if not isinstance(call.body, dict) or key not in call.body:
        raise bad_request("InvalidValue", f"request body must be a JSON object with {key!r}")
    return call.body[key]


def _ticket_id(call: Call) -> int:
    return int(call.args[0])


# --- users -------------------------------------------------------------------


def users_me(svc: Services, call: Call) -> tuple[int, Any]:
    role = "admin" if svc.config.admin else "agent"
    me = agent_record(
        AGENT_ID, "Sandbox Agent", svc.config.email, role, call.base, "2026-01-01T00:00:00Z"
    )
    return 200, {"user": me}


# --- tickets -------------------------------------------------------------------


def show_ticket(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"ticket": svc.store.find(_ticket_id(call))}


def show_many(svc: Services, call: Call) -> tuple[int, Any]:
    tickets = svc.store.show_many(_ids(call))
    if wants_users(call):
        return 200, {"tickets": tickets, "users": side_loaded_users(svc, call, tickets)}
    return 200, {"tickets": tickets}


def create_ticket(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _object(call, "ticket")
    if not isinstance(fields, dict):
        raise bad_request("InvalidValue", "ticket must be an object")
    ticket = svc.store.create(fields)
    comments = svc.store.comments(ticket["id"])
    audit = {
        "id": comments[0]["id"],
        "ticket_id": ticket["id"],
        "created_at": ticket["created_at"],
        "author_id": AGENT_ID,
        "via": ticket["via"],
        "metadata": {},
        "events": [{"id": comments[0]["id"], "type": "Comment", "body": comments[0]["body"]}],
    }
    return 201, {"ticket": ticket, "audit": audit}


def required_field_missing() -> ApiError:
    """The 422 of the ``invalid_ticket_ids`` knob: what Zendesk says of an empty required field."""
    return record_invalid(
        {"base": [{"description": "Product: is required", "error": "BlankValue"}]}
    )


def update_ticket(svc: Services, call: Call) -> tuple[int, Any]:
    changes = _object(call, "ticket")
    if not isinstance(changes, dict):
        raise bad_request("InvalidValue", "ticket must be an object")
    if _ticket_id(call) in svc.config.invalid_ticket_ids:
        raise required_field_missing()
    ticket, audit = svc.store.update(_ticket_id(call), changes)
    return 200, {"ticket": ticket, "audit": audit}


def create_many(svc: Services, call: Call) -> tuple[int, Any]:
    items = _object(call, "tickets")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise bad_request("InvalidValue", "tickets must be a list of objects")
    if len(items) > MAX_MANY:
        raise too_many_values(MAX_MANY)
    store = svc.store
    job = svc.jobs.submit("bulk_create_tickets", len(items), lambda: store.create_many(items))
    return 200, {"job_status": job}


def update_many(svc: Services, call: Call) -> tuple[int, Any]:
    if "ids" in call.query:
        changes = _object(call, "ticket")
        if not isinstance(changes, dict):
            raise bad_request("InvalidValue", "ticket must be an object")
        items = [(tid, changes) for tid in _ids(call)]
    else:
        raw = _object(call, "tickets")
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            raise bad_request("InvalidValue", "tickets must be a list of objects")
        if len(raw) > MAX_MANY:
            raise too_many_values(MAX_MANY)
        items = []
        for entry in raw:
            if not isinstance(entry.get("id"), int):
                raise bad_request("InvalidValue", "every ticket needs an integer id")
            items.append((entry["id"], {k: v for k, v in entry.items() if k != "id"}))
    # The conflict knob makes chosen tickets fail as if someone else had just updated them.
    rate = svc.config.conflict_rate
    if rate:
        stale = {"safe_update": True, "updated_stamp": "1970-01-01T00:00:00Z"}
        chosen = [svc.rng.random() < rate for _ in items]
        marked = zip(items, chosen, strict=True)
        items = [(t, {**ch, **stale}) if c else (t, ch) for (t, ch), c in marked]
        svc.count("conflicts_injected", sum(chosen))
    store, config = svc.store, svc.config
    job = svc.jobs.submit(
        "bulk_update_tickets",
        len(items),
        # The knob is read when the job runs, as Zendesk validates then.
        lambda: store.update_many(
            items, refuse=set(config.invalid_ticket_ids), refusal=required_field_missing()
        ),
    )
    return 200, {"job_status": job}


def job_status(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"job_status": svc.jobs.get(call.args[0])}


# --- tags and comments -----------------------------------------------------------


def _tags_from(call: Call) -> object:
    if isinstance(call.body, dict) and "tags" in call.body:
        return call.body["tags"]
    if "tags" in call.query:
        return call.query["tags"].split(",")
    raise bad_request("InvalidValue", "tags are required")


def list_tags(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"tags": list(svc.store.find(_ticket_id(call))["tags"])}


def _change_tags(op: str, status: int) -> Handler:
    def handler(svc: Services, call: Call) -> tuple[int, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        return status, {"tags": svc.store.change_tags(_ticket_id(call), op, _tags_from(call), body)}

    return handler


def list_comments(svc: Services, call: Call) -> tuple[int, Any]:
    try:
        comments = svc.store.comments(_ticket_id(call))
    except KeyError:
        raise not_found() from None
    if call.query.get("sort_order") == "desc":
        comments.reverse()
    return 200, {
        "comments": comments,
        "count": len(comments),
        "next_page": None,
        "previous_page": None,
    }


AUDITS_PAGE = 100  # Zendesk lists at most 100 audits a page


def list_audits(svc: Services, call: Call) -> tuple[int, Any]:
    """``GET /api/v2/tickets/{id}/audits``: offset pages of at most 100, oldest first."""
    ticket_id = _ticket_id(call)
    try:
        audits = svc.store.ticket_audits(ticket_id)
    except KeyError:
        raise not_found() from None
    size = min(max(int_arg(call.query.get("per_page"), "per_page", AUDITS_PAGE), 1), AUDITS_PAGE)
    page = max(int_arg(call.query.get("page"), "page", 1), 1)
    start = (page - 1) * size
    more = start + size < len(audits)
    link = f"{call.base}/api/v2/tickets/{ticket_id}/audits.json?per_page={size}&page="
    return 200, {
        "audits": audits[start : start + size],
        "count": len(audits),
        "next_page": f"{link}{page + 1}" if more else None,
        "previous_page": f"{link}{page - 1}" if page > 1 else None,
    }


# --- routing -----------------------------------------------------------------------

_ROUTES: list[tuple[str, str, Handler, bool, bool]] = [
    ("GET", "/api/v2/users/me", users_me, False, False),
    ("GET", "/api/v2/tickets", list_tickets, False, False),
    ("POST", "/api/v2/tickets", create_ticket, False, False),
    ("GET", "/api/v2/tickets/show_many", show_many, False, False),
    ("POST", "/api/v2/tickets/create_many", create_many, False, False),
    ("PUT", "/api/v2/tickets/update_many", update_many, True, False),
    ("GET", "/api/v2/tickets/{id}", show_ticket, False, False),
    ("PUT", "/api/v2/tickets/{id}", update_ticket, True, False),
    ("GET", "/api/v2/tickets/{id}/comments", list_comments, False, False),
    ("GET", "/api/v2/tickets/{id}/audits", list_audits, False, False),
    ("GET", "/api/v2/tickets/{id}/tags", list_tags, False, False),
    ("PUT", "/api/v2/tickets/{id}/tags", _change_tags("add", 200), True, False),
    ("POST", "/api/v2/tickets/{id}/tags", _change_tags("set", 201), True, False),
    ("DELETE", "/api/v2/tickets/{id}/tags", _change_tags("remove", 200), True, False),
    ("GET", "/api/v2/job_statuses/{job_id}", job_status, False, False),
    ("GET", "/api/v2/search", search, False, False),
    ("GET", "/api/v2/incremental/tickets/cursor", incremental_cursor, False, True),
    ("GET", "/api/v2/incremental/ticket_events", incremental_ticket_events, False, True),
    *PEOPLE_ROUTES,
    *INCIDENT_ROUTES,
    *((method, path, handler, False, False) for method, path, handler in FIELD_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in GUIDE_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in WEBHOOK_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in OUTCOME_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in MACRO_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in SLA_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in ROUTING_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in DELETION_ROUTES),
    *((method, path, handler, False, False) for method, path, handler in REDACTION_ROUTES),
]


def _compile(pattern: str) -> re.Pattern[str]:
    regex = pattern.replace("{id}", r"(\d+)").replace("{job_id}", r"([0-9A-Za-z_-]+)")
    regex = regex.replace("{webhook_id}", r"([0-9A-Za-z]+)")
    regex = regex.replace("{attribute_id}", r"([0-9a-f-]+)")
    regex = regex.replace("{locale}", r"([a-z]{2}(?:-[a-z0-9]{2,4})?)")
    return re.compile(f"^{regex}$")


ROUTES: list[Endpoint] = [
    Endpoint(m, p, _compile(p), h, update=u, incremental=i) for m, p, h, u, i in _ROUTES
]


def resolve(method: str, path: str) -> tuple[Endpoint, tuple[str, ...]] | None:
    """The route for a request path (``.json`` and a trailing slash ignored), with its args."""
    if path.endswith(".json"):
        path = path[:-5]
    path = path.rstrip("/") or "/"
    for route in ROUTES:
        if route.method == method:
            match = route.regex.match(path)
            if match:
                return route, match.groups()
    return None
