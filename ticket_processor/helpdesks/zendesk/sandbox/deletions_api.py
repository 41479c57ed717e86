"""Deleted tickets and users as the Zendesk sandbox serves them, in Zendesk's shapes:

- ``DELETE /api/v2/tickets/{id}``: 204; the ticket goes to the trash, listed by
  ``GET /api/v2/deleted_tickets`` (``{"deleted_tickets": [{"id", "subject", "actor": {"id",
  "name"}, "deleted_at", "previous_state"}], "next_page", "previous_page", "count"}``, sorted by
  ``sort_by`` ``id`` / ``subject`` / ``deleted_at`` in ``sort_order``, offset pages);
- ``DELETE /api/v2/users/{id}``: 200 with the user, ``active: false``; listed by
  ``GET /api/v2/deleted_users`` (``{"deleted_users": [{"id", "name", "email", "active",
  "created_at", "updated_at"}], ...}``) until deleted permanently.

The sandbox keeps a deleted ticket's record for its own views (the test desk's snapshots); what
ticketbot reads of it is the trash's listing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ....sandbox.httpbase import not_found
from .config import bad_request
from .people import _page
from .records import iso
from .routes import Call, Handler, Services
from .ticket_book import AGENT_ID

_SORTS = ("id", "subject", "deleted_at")


@dataclass
class ZendeskTrash:
    """The tickets and users deleted, by id."""

    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE_ATTRIBUTE = "trash"


def store_trash(store: object) -> ZendeskTrash:
    """The store's trash, made on first use."""
    found = getattr(store, STATE_ATTRIBUTE, None)
    if not isinstance(found, ZendeskTrash):
        found = ZendeskTrash()
        setattr(store, STATE_ATTRIBUTE, found)
    return found


def delete_ticket(svc: Services, call: Call) -> tuple[int, Any]:
    ticket_id = int(call.args[0])
    ticket = svc.store.find(ticket_id)
    trash = store_trash(svc.store)
    with trash.lock:
        if ticket_id in trash.tickets:
            raise not_found()
        trash.tickets[ticket_id] = {
            "id": ticket_id,
            "subject": ticket.get("subject"),
            "actor": {"id": AGENT_ID, "name": "Sandbox Agent"},
            "deleted_at": iso(svc.store.now()),
            "previous_state": ticket.get("status"),
        }
    return 204, None


def list_deleted_tickets(svc: Services, call: Call) -> tuple[int, Any]:
    sort_by = call.query.get("sort_by") or "id"
    order = call.query.get("sort_order") or "asc"
    if sort_by not in _SORTS or order not in ("asc", "desc"):
        raise bad_request("InvalidValue", "sort_by or sort_order is not valid")
    trash = store_trash(svc.store)
    with trash.lock:
        items = [dict(t) for t in trash.tickets.values()]
    items.sort(key=lambda t: (str(t[sort_by] or ""), t["id"]) if sort_by != "id" else t["id"])
    if order == "desc":
        items.reverse()
    return _page(call, "deleted_tickets", items, "/api/v2/deleted_tickets")


def delete_user(svc: Services, call: Call) -> tuple[int, Any]:
    user_id = int(call.args[0])
    user = svc.store.end_user(user_id)
    trash = store_trash(svc.store)
    with trash.lock:
        if user is None or user_id in trash.users:
            raise not_found()
        now = iso(svc.store.now())
        gone = {
            "id": user_id,
            "name": user.get("name"),
            "email": user.get("email"),
            "active": False,
            "role": "end-user",
            "created_at": user.get("created_at", now),
            "updated_at": now,
        }
        trash.users[user_id] = gone
    return 200, {"user": dict(gone)}


def list_deleted_users(svc: Services, call: Call) -> tuple[int, Any]:
    trash = store_trash(svc.store)
    with trash.lock:
        items = [dict(u) for u in sorted(trash.users.values(), key=lambda u: u["id"])]
    return _page(call, "deleted_users", items, "/api/v2/deleted_users")


DELETION_ROUTES: list[tuple[str, str, Handler]] = [
    ("DELETE", "/api/v2/tickets/{id}", delete_ticket),
    ("GET", "/api/v2/deleted_tickets", list_deleted_tickets),
    ("DELETE", "/api/v2/users/{id}", delete_user),
    ("GET", "/api/v2/deleted_users", list_deleted_users),
]
