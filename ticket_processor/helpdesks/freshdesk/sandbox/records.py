"""Freshdesk's JSON for tickets and conversations, and the checks Freshdesk makes on a write.

Pure functions on plain data. A ticket is kept with every field Freshdesk shows on "View a
ticket"; ``listed`` drops what the list and search leave out (``description``,
``description_text``, ``attachments``) unless ``include=description`` asks for it.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ....sandbox.httpbase import ApiError
from .config import field_error, validation_failed

STATUSES = (2, 3, 4, 5)  # open, pending, resolved, closed
PRIORITIES = (1, 2, 3, 4)  # low, medium, high, urgent
# email, portal, phone, twitter, facebook, chat, feedback widget, outbound email
SOURCES = (1, 2, 3, 5, 6, 7, 9, 10)
TYPES = ("Question", "Incident", "Problem", "Feature Request", "Refund")  # a new account's
TAG_MAX = 32
ONLY_IN_SHOW = ("description", "description_text", "attachments")

_REQUESTER_KEYS = (
    "requester_id",
    "email",
    "phone",
    "twitter_id",
    "facebook_id",
    "unique_external_id",
)
_WRITABLE = {
    "subject": str,
    "description": str,
    "status": int,
    "priority": int,
    "source": int,
    "type": (str, type(None)),
    "tags": list,
    "group_id": (int, type(None)),
    "responder_id": (int, type(None)),
    "skill_id": (int, type(None)),  # the one skill the ticket is matched to (skill routing)
    "requester_id": int,
    "email": str,
    "name": str,
    "phone": str,
    "custom_fields": dict,
    "product_id": (int, type(None)),
    "company_id": (int, type(None)),
    "due_by": str,
    "fr_due_by": str,
    "tracker_id": int,  # links the ticket to a tracker (``store.FreshdeskStore.update``)
}
_CREATE_ONLY = {
    "cc_emails": list,
    "twitter_id": str,
    "facebook_id": str,
    "unique_external_id": str,
    "related_ticket_ids": list,  # a create with them makes a tracker of those tickets
}
_TYPE_NAMES = {str: "String", int: "Integer", list: "Array", dict: "key/value pair"}


def iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def parse_iso(value: str) -> float | None:
    """``2026-01-19T02:00:00Z`` (or a date, or with an offset) as epoch seconds; None if not."""
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def html_text(body: str) -> str:
    """The plain text Freshdesk derives from an HTML body (``description_text``, ``body_text``)."""
    text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", body, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def listed(ticket: dict[str, Any], *, description: bool = False) -> dict[str, Any]:
    """The ticket as the list and search show it."""
    out = {k: v for k, v in ticket.items() if k not in ONLY_IN_SHOW}
    if description:
        out["description"] = ticket["description"]
        out["description_text"] = ticket["description_text"]
    return out


def _type_error(name: str, value: object) -> dict[str, str] | None:
    kind = _WRITABLE.get(name) or _CREATE_ONLY.get(name)
    if kind is None:
        return field_error(name, "Unexpected/invalid field in request", "invalid_field")
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        word = _TYPE_NAMES.get(kinds[0], kinds[0].__name__)
        return field_error(name, f"It should be a/an {word}", "datatype_mismatch")
    return None


def check_fields(
    fields: dict[str, Any],
    *,
    creating: bool,
    group_members: Callable[[int], list[int] | None],
    agent_exists: Callable[[int], bool],
    current_group: int | None = None,
) -> None:
    """Raise Freshdesk's 400 listing every invalid field of a create or update."""
    errors: list[dict[str, str]] = []
    for name, value in fields.items():
        if not creating and name in _CREATE_ONLY:
            errors.append(field_error(name, "Unexpected/invalid field in request", "invalid_field"))
            continue
        problem = _type_error(name, value)
        if problem:
            errors.append(problem)
    if errors:
        raise validation_failed(*errors)
    allowed = {"status": STATUSES, "priority": PRIORITIES, "source": SOURCES}
    for name, values in allowed.items():
        if name in fields and fields[name] not in values:
            listing = ",".join(str(v) for v in values)
            errors.append(field_error(name, f"It should be one of these values: '{listing}'"))
    if fields.get("type") is not None and fields["type"] not in TYPES:
        errors.append(field_error("type", f"It should be one of these values: '{','.join(TYPES)}'"))
    tags = fields.get("tags")
    if tags is not None:
        if not all(isinstance(t, str) for t in tags):
            errors.append(
                field_error(
                    "tags", "It should contain elements of type String only", "datatype_mismatch"
                )
            )
        elif any(len(t) > TAG_MAX for t in tags):
            errors.append(
                field_error(
                    "tags",
                    f"It should only contain elements that have maximum of {TAG_MAX} characters",
                )
            )
    for name in ("subject", "description"):
        if creating and name not in fields:
            errors.append(field_error(name, "It should be a/an String", "missing_field"))
    if creating and not any(k in fields for k in _REQUESTER_KEYS):
        errors.append(
            field_error(
                "requester_id",
                "Please fill at least 1 of requester_id, phone, email, twitter_id, facebook_id, "
                "unique_external_id fields",
                "missing_field",
            )
        )
    group = fields.get("group_id", current_group)
    members = group_members(group) if isinstance(group, int) else None
    if isinstance(fields.get("group_id"), int) and members is None:
        errors.append(field_error("group_id", "There is no group matching the given group_id"))
    responder = fields.get("responder_id")
    if isinstance(responder, int):
        if not agent_exists(responder):
            errors.append(
                field_error("responder_id", "There is no agent matching the given responder_id")
            )
        elif members is not None and responder not in members:
            errors.append(
                field_error(
                    "responder_id", "The agent is not a member of the group given in group_id"
                )
            )
    if errors:
        raise validation_failed(*errors)


def new_ticket(
    ticket_id: int, fields: dict[str, Any], requester_id: int, now: float
) -> dict[str, Any]:
    """A created ticket, with Freshdesk's defaults for what the request left out."""
    stamp = iso(now)
    description = fields.get("description", "")
    return {
        "cc_emails": list(fields.get("cc_emails", [])),
        "fwd_emails": [],
        "reply_cc_emails": list(fields.get("cc_emails", [])),
        "ticket_cc_emails": list(fields.get("cc_emails", [])),
        "fr_escalated": False,
        "spam": False,
        "email_config_id": None,
        "group_id": fields.get("group_id"),
        "priority": fields.get("priority", 1),
        "requester_id": requester_id,
        "responder_id": fields.get("responder_id"),
        "skill_id": fields.get("skill_id"),
        "source": fields.get("source", 2),
        "company_id": fields.get("company_id"),
        "status": fields.get("status", 2),
        "subject": fields.get("subject", ""),
        "association_type": None,
        "support_email": None,
        "to_emails": None,
        "product_id": fields.get("product_id"),
        "id": ticket_id,
        "type": fields.get("type"),
        "due_by": fields.get("due_by", iso(now + 3 * 86400)),
        "fr_due_by": fields.get("fr_due_by", iso(now + 86400)),
        "is_escalated": False,
        "custom_fields": dict(fields.get("custom_fields", {})),
        "created_at": stamp,
        "updated_at": stamp,
        "associated_tickets_count": None,
        "tags": list(dict.fromkeys(fields.get("tags", []))),
        "description": description,
        "description_text": html_text(description),
        "attachments": [],
    }


def apply_update(ticket: dict[str, Any], changes: dict[str, Any], now: float) -> dict[str, Any]:
    """The ticket after ``changes``: ``tags`` replaces the whole list, as Freshdesk does."""
    out = dict(ticket)
    for name, value in changes.items():
        if name in ("email", "name", "phone"):
            continue  # they pick the requester; kept as is here
        if name == "tags":
            out["tags"] = list(dict.fromkeys(value))
        elif name == "custom_fields":
            out["custom_fields"] = {**ticket["custom_fields"], **value}
        elif name == "description":
            out["description"] = value
            out["description_text"] = html_text(value)
        else:
            out[name] = value
    out["updated_at"] = iso(now)
    return out


SOURCE_REPLY = 0  # a conversation's ``source``: an agent's reply (or a customer's email reply)
SOURCE_NOTE = 2  # a note, private or public


def note_record(
    note_id: int,
    ticket_id: int,
    body: str,
    *,
    private: bool,
    user_id: int,
    now: float,
    incoming: bool = False,
    source: int = SOURCE_NOTE,
) -> dict[str, Any]:
    """A conversation (a note, or a reply with ``source`` 0) as ``POST /tickets/{id}/notes``
    returns it and the conversations list shows it. ``incoming``: shown as coming from outside
    the helpdesk, as a contact's message."""
    stamp = iso(now)
    return {
        "body": body,
        "body_text": html_text(body),
        "id": note_id,
        "incoming": incoming,
        "private": private,
        "user_id": user_id,
        "support_email": None,
        "source": source,
        "category": 2,
        "to_emails": [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": [],
        "attachments": [],
        "ticket_id": ticket_id,
        "created_at": stamp,
        "updated_at": stamp,
        "last_edited_at": None,
        "last_edited_user_id": None,
    }


def reply_answer(conversation: dict[str, Any], to_emails: list[str]) -> dict[str, Any]:
    """A reply as ``POST /tickets/{id}/reply`` answers it (the list shows it whole)."""
    keys = ("body", "body_text", "id", "user_id", "from_email", "cc_emails", "bcc_emails")
    return {
        **{k: conversation[k] for k in keys},
        "ticket_id": conversation["ticket_id"],
        "replied_to": list(to_emails),
        "attachments": [],
        "created_at": conversation["created_at"],
        "updated_at": conversation["updated_at"],
    }


def ticket_id_of(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ApiError(404, {}) from None
