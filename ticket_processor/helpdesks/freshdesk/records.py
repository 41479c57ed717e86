"""Freshdesk's records as ticketbot's values, and back. Pure: no I/O.

Freshdesk numbers what Zendesk names: priority 1 low, 2 medium, 3 high, 4 urgent; status 2 open,
3 pending, 4 resolved, 5 closed (6 and up are an account's own statuses, read as open). ticketbot
speaks Zendesk's words inside (``models.Priority``, ``models.Status``); this module is the
translation. A ticket object that does not parse is kept aside, never raised.
"""

from __future__ import annotations

import html
import re
from typing import Any

from pydantic import ValidationError

from ...models import SHORT_TAG_MAX, Person, Priority, Ticket, WriteBack, fit_tag
from ...triage.prepare import drop_elements
from .kind import SOURCE_CHANNEL

PRIORITY_FROM_FRESHDESK = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
PRIORITY_TO_FRESHDESK = {
    Priority.LOW: 1,
    Priority.NORMAL: 2,
    Priority.HIGH: 3,
    Priority.URGENT: 4,
}
STATUS_FROM_FRESHDESK = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
_TAG = re.compile(r"<[^>]+>")


def plain_text(body: str) -> str:
    """HTML as text, for a description without ``description_text``: scripts, styles and
    comments dropped as every HTML body is (``triage.prepare.drop_elements``)."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", drop_elements(body))
    return html.unescape(_TAG.sub("", text)).strip()


def text_of(text: object, html_copy: object) -> str:
    """The plain text of a description or a conversation: Freshdesk's own (``description_text``,
    ``body_text``), unless its HTML holds an element dropped whole (a script, a style, a
    comment), whose words a tag-stripped copy keeps: then the HTML read as every HTML body is."""
    raw = html_copy if isinstance(html_copy, str) else ""
    if isinstance(text, str) and drop_elements(raw) == raw:
        return text
    return plain_text(raw)


def ticket_fields(item: dict[str, Any]) -> dict[str, Any]:
    """A Freshdesk ticket object in ``models.Ticket``'s names."""
    description = text_of(item.get("description_text"), item.get("description"))
    priority = item.get("priority")
    status = item.get("status")
    custom = item.get("custom_fields")
    return {
        "id": item.get("id"),
        "subject": item.get("subject") or "",
        "description": description,
        "status": STATUS_FROM_FRESHDESK.get(status, "open") if isinstance(status, int) else "open",
        "priority": PRIORITY_FROM_FRESHDESK.get(priority) if isinstance(priority, int) else None,
        "tags": item.get("tags") or [],
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
        "group_id": item.get("group_id"),
        "assignee_id": item.get("responder_id"),
        "requester_id": item.get("requester_id"),
        "organization_id": item.get("company_id"),
        "brand_id": item.get("product_id"),
        "channel": SOURCE_CHANNEL.get(item["source"])
        if isinstance(item.get("source"), int)
        else None,
        "custom_fields": custom if isinstance(custom, dict) else {},
        "people": people_of(item),
        "sender": _requester_email(item.get("requester")),
        "helpdesk_spam": item.get("spam") is True,
        "helpdesk_escalated": item.get("is_escalated") is True or item.get("fr_escalated") is True,
    }


def people_of(item: dict[str, Any]) -> tuple[Person, ...]:
    """Whom the ticket names: its requester (``include=requester``) and the addresses it
    copies (``cc_emails``); whose names and addresses are redacted before the LLM reads it."""
    found: list[Person] = []
    requester = item.get("requester")
    if isinstance(requester, dict):
        name, email = requester.get("name"), requester.get("email")
        found.append(
            Person(
                name=name if isinstance(name, str) else "",
                email=email if isinstance(email, str) else "",
            )
        )
    copied = item.get("cc_emails")
    for email in copied if isinstance(copied, list) else ():
        if isinstance(email, str) and email:
            found.append(Person(email=email))
    return tuple(found)


def _requester_email(requester: object) -> str | None:
    """The requester's e-mail where the list or show was asked to ``include=requester``."""
    email = requester.get("email") if isinstance(requester, dict) else None
    return email if isinstance(email, str) and email else None


def parse_tickets(items: object) -> tuple[list[Ticket], list[dict[str, Any]]]:
    """Freshdesk ticket objects -> (tickets, malformed); never raises on bad data."""
    tickets: list[Ticket] = []
    malformed: list[dict[str, Any]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            malformed.append({"value": item})
            continue
        try:
            tickets.append(Ticket.model_validate(ticket_fields(item)))
        except (ValidationError, TypeError, ValueError):
            malformed.append(item)
    return tickets, malformed


# Freshdesk refuses a tag longer than this; a longer one of ours goes out as ``fit_tag`` makes it.
TAG_MAX = SHORT_TAG_MAX


def update_body(change: WriteBack, current: Ticket) -> dict[str, Any]:
    """The ``PUT /tickets/{id}`` body for ``change`` on ``current`` as just read: Freshdesk's
    ``tags`` replaces the list, so it is the ticket's own tags (minus a revert's) plus ours."""
    removed = {fit_tag(t, TAG_MAX) for t in change.remove_tags}
    tags = [t for t in current.tags if t not in removed]
    tags += [t for t in (fit_tag(a, TAG_MAX) for a in change.additional_tags) if t not in tags]
    body: dict[str, Any] = {}
    if tags != list(current.tags):
        body["tags"] = tags
    if change.priority is not None:
        body["priority"] = PRIORITY_TO_FRESHDESK[change.priority]
    if change.group_id is not None:
        body["group_id"] = change.group_id
    elif change.clear_group and current.group_id is not None:
        body["group_id"] = None
    if change.assignee_id is not None:
        body["responder_id"] = change.assignee_id
    if change.custom_fields:
        body["custom_fields"] = dict(change.custom_fields)
    return body


def note_html(text: str) -> str:
    """The note's plain text as the HTML Freshdesk stores (escaped, line breaks kept)."""
    return "<div>" + html.escape(text).replace("\n", "<br>") + "</div>"


def updated_at_of(body: object) -> str | None:
    """The ticket's ``updated_at`` in a ``PUT``'s answer (None when it carries none)."""
    stamp = body.get("updated_at") if isinstance(body, dict) else None
    return stamp if isinstance(stamp, str) else None
