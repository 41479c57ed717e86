"""Who added a tag to a Zendesk ticket (``capabilities.TagAuthors``): the ticket's audits
(``GET /api/v2/tickets/{id}/audits``) record each update's ``author_id`` and its ``Change``
events, a tag change with the tags before (``previous_value``) and after (``value``); the
author's ``role`` (``GET /api/v2/users/{id}``) says whether they are an agent (``agent`` or
``admin``) or an end user, a customer whose update (a trigger acting on their comment, say)
added the tag. An approval by tag is honoured only from an agent."""

from __future__ import annotations

from typing import Any

from ...errors import HelpdeskError
from ..capabilities import TagAuthor
from .client import ZendeskClient

AGENT_ROLES = ("agent", "admin")


def _tags(value: object) -> set[str]:
    """A tag event's value: a list, or the space-separated string Zendesk also sends."""
    if isinstance(value, list):
        return {str(v) for v in value}
    return set(str(value).split()) if isinstance(value, str) else set()


def _added_by(audits: list[dict[str, Any]], tag: str) -> int | None:
    """The author of the last audit that added ``tag``."""
    author: int | None = None
    for audit in audits:
        for event in audit.get("events") or ():
            if not isinstance(event, dict) or event.get("field_name") != "tags":
                continue
            added = tag in _tags(event.get("value")) and tag not in _tags(
                event.get("previous_value")
            )
            if added and isinstance(audit.get("author_id"), int):
                author = int(audit["author_id"])
    return author


class ZendeskTagAuthors:
    """The adapter's part that tells who added a tag (a mixin: it needs ``client``)."""

    client: ZendeskClient

    def tag_author(self, ticket_id: int, tag: str) -> TagAuthor | None:
        audits = self.client.paged(f"/api/v2/tickets/{int(ticket_id)}/audits.json", "audits")
        author = _added_by(audits, tag)
        if author is None:
            return None
        try:
            body = self.client.http.request("GET", f"/api/v2/users/{author}.json")
        except HelpdeskError:
            return None  # unknown: not taken for an agent's
        user = body.get("user") if isinstance(body, dict) else None
        role = user.get("role") if isinstance(user, dict) else None
        return TagAuthor(f"user {author}", role in AGENT_ROLES)
