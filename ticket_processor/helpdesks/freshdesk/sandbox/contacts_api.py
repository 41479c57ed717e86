"""Deleted contacts as the Freshdesk sandbox serves them, in Freshdesk's shapes:

- ``DELETE /api/v2/contacts/{id}``: 204; the contact is soft-deleted (``deleted: true``, its
  ``updated_at`` the deletion's moment), as an agent's "Delete" does;
- ``GET /api/v2/contacts?state=deleted[&_updated_since=ISO]``: a bare array of those contacts
  (``id``, ``name``, ``email``, ``active``, ``deleted``, ``created_at``, ``updated_at``), oldest
  change first, paged as the other lists; ``GET /api/v2/contacts/{id}`` shows one with
  ``deleted: true``.

The sandbox keeps no contact list of its own beyond the requesters its tickets made: the list
serves ``state=deleted``, what ticketbot reads; another state is answered empty.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from .config import field_error, validation_failed
from .records import iso, parse_iso
from .routes import Answer, FreshdeskCall, FreshdeskServices, paged

_STATES = ("blocked", "deleted", "unverified", "verified")


@dataclass
class DeletedContacts:
    """The contacts deleted, by id."""

    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE_ATTRIBUTE = "deleted_contacts"


def deleted_contacts(store: object) -> DeletedContacts:
    """The store's deleted contacts, made on first use."""
    found = getattr(store, STATE_ATTRIBUTE, None)
    if not isinstance(found, DeletedContacts):
        found = DeletedContacts()
        setattr(store, STATE_ATTRIBUTE, found)
    return found


def delete_contact(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    contact_id = call.int_arg()
    contact = svc.store.contact(contact_id)  # 404 for an unknown one
    now = iso(svc.store.now())
    trash = deleted_contacts(svc.store)
    with trash.lock:
        trash.contacts[contact_id] = {
            **contact,
            "active": False,
            "deleted": True,
            "created_at": contact.get("created_at", now),
            "updated_at": now,
        }
    return 204, None, {}


def list_contacts(svc: FreshdeskServices, call: FreshdeskCall) -> Answer:
    q = call.query
    state = q.get("state")
    if state is not None and state not in _STATES:
        raise validation_failed(
            field_error("state", f"It should be one of these values: '{','.join(_STATES)}'")
        )
    since: float | None = None
    if q.get("_updated_since"):
        since = parse_iso(q["_updated_since"])
        if since is None:
            raise validation_failed(
                field_error("_updated_since", "It should be in the 'valid date-time' format")
            )
    trash = deleted_contacts(svc.store)
    with trash.lock:
        gone = [dict(c) for c in trash.contacts.values()] if state == "deleted" else []
    if since is not None:
        gone = [c for c in gone if (parse_iso(c["updated_at"]) or 0) >= since]
    gone.sort(key=lambda c: (c["updated_at"], c["id"]))
    return paged(call, gone)
