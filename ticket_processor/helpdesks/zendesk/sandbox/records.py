"""Pure Zendesk record rules: ticket and comment JSON, tag normalising, field validation.

No locking and no I/O here; ``store.py`` calls these under its lock. Records are never mutated
in place: a change builds a new dict (and new lists), so a reader that took a reference can
serialise it outside the lock while a writer replaces it.
"""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime
from typing import Any

from .config import invalid_field, record_invalid

PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TYPES = ("problem", "incident", "question", "task")
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}
STATUS_RANK = {s: i for i, s in enumerate(STATUSES)}

VIA_API: dict[str, Any] = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
# ``via_id`` on a create (write-only, Zendesk's via object reference): 4 is a ticket that came
# by mail, which Zendesk shows as channel ``email`` with the sender in ``source.from``.
VIA_MAIL = 4
SUPPORT_ADDRESS = "support@sandbox.zendesk.example"


def via_of(fields: dict[str, Any], requester: dict[str, Any] | None) -> dict[str, Any]:
    """The ``via`` a new ticket shows: by mail from its requester when ``via_id`` is 4."""
    if fields.get("via_id") != VIA_MAIL:
        return VIA_API
    sender = requester or {}
    return {
        "channel": "email",
        "source": {
            "from": {"address": sender.get("email"), "name": sender.get("name")},
            "to": {"address": SUPPORT_ADDRESS, "name": "Support"},
            "rel": None,
        },
    }


_SPACES = re.compile(r"\s+")
_TAG_SPLIT = re.compile(r"[\s,]+")
_HTML_TAG = re.compile(r"<[^>]+>")


def iso(ts: float) -> str:
    """Zendesk's timestamp format: ISO 8601 UTC to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_iso(value: str) -> float | None:
    """Seconds since the epoch of a Zendesk-style timestamp, or None when it is not one."""
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def normalize_tags(raw: object) -> list[str]:
    """Tags as Zendesk stores them: lower case, spaces to underscores, no duplicates, in order.

    A string is split on spaces and commas, like Zendesk does for ``"tags": "a b"``.
    """
    if raw is None:
        return []
    items = _TAG_SPLIT.split(raw) if isinstance(raw, str) else list(raw)  # type: ignore[call-overload]
    seen: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            item = str(item)
        tag = _SPACES.sub("_", item.strip()).lower()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def validate_fields(fields: dict[str, Any]) -> None:
    """422 ``RecordInvalid`` with Zendesk's details when priority, status or type is not valid."""
    details: dict[str, list[dict[str, str]]] = {}
    for name, allowed in (("priority", PRIORITIES), ("status", STATUSES), ("type", TYPES)):
        if name in fields:
            value = fields[name]
            if value in (None, "") and name != "status":
                continue
            if value not in allowed:
                details[name] = [invalid_field(name, "is not valid")]
    if "tags" in fields and not isinstance(fields["tags"], (list, str, type(None))):
        details["tags"] = [invalid_field("tags", "is not valid")]
    if details:
        raise record_invalid(details)


def _truthy(value: object) -> bool:
    """JSON booleans, and the strings some clients send (``"false"`` is false, as in Zendesk)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "")
    return bool(value)


def comment_record(
    comment_id: int, spec: dict[str, Any] | str, author_id: int, now: float
) -> dict[str, Any]:
    """A comment as ``GET /tickets/{id}/comments`` shows it."""
    if isinstance(spec, str):
        spec = {"body": spec}
    html_body = spec.get("html_body")
    body = spec.get("body")
    if body is None:
        body = html.unescape(_HTML_TAG.sub("", html_body or ""))
    body = str(body)
    if not html_body:
        paragraphs = "".join(
            f'<p dir="auto">{html.escape(p)}</p>' for p in body.split("\n\n") if p.strip()
        )
        html_body = f'<div class="zd-comment" dir="auto">{paragraphs}</div>'
    author = spec.get("author_id")
    return {
        "id": comment_id,
        "type": "Comment",
        "author_id": author if isinstance(author, int) else author_id,
        "body": body,
        "html_body": html_body,
        "plain_body": body,
        "public": _truthy(spec.get("public", True)),
        "attachments": [],
        "audit_id": comment_id,
        "via": VIA_API,
        "created_at": iso(now),
        "metadata": {"system": {"client": "ticketbot-sandbox"}, "custom": {}},
    }


def new_ticket(
    ticket_id: int,
    fields: dict[str, Any],
    *,
    base_url: str,
    requester_id: int,
    submitter_id: int,
    description: str,
    now: float,
    via: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A freshly created ticket in Zendesk's JSON shape (status ``new`` unless given)."""
    validate_fields(fields)
    subject = fields.get("subject")
    stamp = iso(now)
    return {
        "id": ticket_id,
        "url": f"{base_url}/api/v2/tickets/{ticket_id}.json",
        "external_id": fields.get("external_id"),
        "via": via or VIA_API,
        "created_at": stamp,
        "updated_at": stamp,
        "generated_timestamp": int(now),
        "type": fields.get("type") or None,
        "subject": subject,
        "raw_subject": subject or "",
        "description": description,
        "priority": fields.get("priority") or None,
        "status": fields.get("status") or "new",
        "requester_id": requester_id,
        "submitter_id": submitter_id,
        "assignee_id": fields.get("assignee_id"),
        "organization_id": fields.get("organization_id"),
        "group_id": fields.get("group_id"),
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "problem_id": fields.get("problem_id") if fields.get("type") == "incident" else None,
        "has_incidents": False,
        "is_public": True,
        "due_at": fields.get("due_at"),
        "tags": normalize_tags(fields.get("tags")),
        "custom_fields": list(fields.get("custom_fields") or []),
        "satisfaction_rating": {"score": "unoffered"},
        "sharing_agreement_ids": [],
        "custom_status_id": None,
        "fields": list(fields.get("custom_fields") or []),
        "followup_ids": [],
        "ticket_form_id": None,
        "brand_id": None,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
        "encoded_id": f"SBX-{ticket_id}",
    }


_SIMPLE_FIELDS = (
    "subject",
    "status",
    "priority",
    "type",
    "assignee_id",
    "group_id",
    "organization_id",
    "external_id",
    "due_at",
    "requester_id",
    "problem_id",
)


def apply_changes(ticket: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A new ticket dict with Zendesk's update semantics (``tags`` replaces; add/remove merge).

    Raises 422 for invalid values and for any change to a closed ticket.
    """
    validate_fields(changes)
    if ticket["status"] == "closed":
        raise record_invalid(
            {"status": [invalid_field("status", "closed prevents ticket update", "Closed")]}
        )
    updated = dict(ticket)
    for name in _SIMPLE_FIELDS:
        if name in changes:
            value = changes[name]
            if name in ("priority", "type") and value == "":
                value = None
            updated[name] = value
    if "subject" in changes:
        updated["raw_subject"] = changes["subject"] or ""
    if "custom_fields" in changes and isinstance(changes["custom_fields"], list):
        updated["custom_fields"] = list(changes["custom_fields"])
        updated["fields"] = list(changes["custom_fields"])
    tags = list(ticket["tags"])
    if "tags" in changes:
        tags = normalize_tags(changes["tags"])
    if changes.get("additional_tags") is not None:
        tags = normalize_tags([*tags, *normalize_tags(changes["additional_tags"])])
    if changes.get("remove_tags") is not None:
        removed = set(normalize_tags(changes["remove_tags"]))
        tags = [t for t in tags if t not in removed]
    updated["tags"] = tags
    if updated.get("type") != "incident":
        updated["problem_id"] = None  # Zendesk keeps a problem link on incidents only
    return updated


def audit_events(
    before: dict[str, Any], after: dict[str, Any], comment: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The events of an update's audit: the comment, then each changed string field."""
    events: list[dict[str, Any]] = []
    if comment is not None:
        events.append(
            {
                "id": comment["id"],
                "type": "Comment",
                "body": comment["body"],
                "public": comment["public"],
            }
        )
    for name in ("status", "priority", "subject", "type", "problem_id"):
        if before.get(name) != after.get(name) and isinstance(after.get(name), (str, int)):
            events.append({"type": "Change", "field_name": name, "value": str(after[name])})
    if before["tags"] != after["tags"]:
        events.append({"type": "Change", "field_name": "tags", "value": " ".join(after["tags"])})
    return events
