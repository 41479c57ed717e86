"""The account's shared, active macros on Zendesk, as ``models.ReadyReply`` values, and the solved
history with the macros its agents applied.

``GET /api/v2/macros/active?access=shared`` lists them (an agent's personal macros are not the
team's answers, and a restricted one (``restriction`` set) is left out too). A macro's reply is
its ``comment_value`` action (a string, or ``[channel, text]``) or its ``comment_value_html``
(tags taken out); ``comment_mode_is_public`` false (``"false"`` as Zendesk sends it, or a
boolean) makes it an internal note.

Where Zendesk records it, the history says which macro an agent applied: a ticket's audits
(``GET /api/v2/tickets/{id}/audits``) hold an ``AgentMacroReference`` event for each macro
applied in an update, beside the ``Comment`` events of its replies. ``macro_history`` reads the
audits instead of the comments (one request a ticket, as the comments are), so the feature
learns from what the agent did, and from the reply's words only where no reference is recorded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

from ...models import Cursor, HistoryTicket, TicketPage
from ...models.ready_reply import ReadyReply
from ..history import in_window
from .client import ZendeskClient
from .history import solved

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


def _plain(markup: str) -> str:
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", markup)))
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _comment(value: Any) -> str:
    if isinstance(value, list):  # ["channel:all", "text"]: the text is the last element
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def macro_of(item: dict[str, Any]) -> ReadyReply | None:
    """One listed macro as a ``ReadyReply``; None for one without an id or a title."""
    macro_id, title = item.get("id"), item.get("title")
    if not isinstance(macro_id, int) or not isinstance(title, str) or not title.strip():
        return None
    text, markup, public = "", "", True
    for action in item.get("actions") or ():
        if not isinstance(action, dict):
            continue
        field, value = action.get("field"), action.get("value")
        if field == "comment_value":
            text = _comment(value)
        elif field == "comment_value_html":
            markup = _comment(value)
        elif field == "comment_mode_is_public":
            public = str(value).strip().lower() not in ("false", "0")
    if not text and markup:
        text = _plain(markup)
    updated = item.get("updated_at")
    return ReadyReply(
        macro_id, title.strip(), text.strip(), public, updated if isinstance(updated, str) else None
    )


def shared_macros(client: ZendeskClient) -> list[ReadyReply]:
    """The shared, active macros, in Zendesk's order."""
    listed = client.paged("/api/v2/macros/active.json", "macros", params={"access": "shared"})
    found = [
        macro_of(item)
        for item in listed
        if isinstance(item, dict) and item.get("restriction") is None
    ]
    return [macro for macro in found if macro is not None]


def applied_macros(audits: list[dict[str, Any]]) -> tuple[int, ...]:
    """The ids of the macros the audits say were applied, in order, each once."""
    found: dict[int, None] = {}
    for audit in audits:
        for event in audit.get("events") or ():
            if isinstance(event, dict) and event.get("type") == "AgentMacroReference":
                raw = event.get("macro_id")  # a string, as Zendesk sends it
                if isinstance(raw, int | str) and str(raw).isdigit():
                    found[int(raw)] = None
    return tuple(found)


def audit_comments(audits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``Comment`` events of the audits, oldest first: the ticket's comments."""
    return [
        event
        for audit in audits
        for event in audit.get("events") or ()
        if isinstance(event, dict) and event.get("type") == "Comment"
    ]


class ZendeskMacroReads:
    """What the macros feature reads of Zendesk beyond the ``Helpdesk`` protocol (the adapter's,
    kept here by concern)."""

    # What ``macros sync`` says it read, one and many.
    MACROS_NOUN = ("shared active macro", "shared active macros")
    MACRO_WORD = "macro"  # one of them, in the helpdesk's own word

    client: ZendeskClient

    def own_id(self) -> int | None:
        raise NotImplementedError  # the adapter's

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        raise NotImplementedError  # the adapter's

    def macros(self) -> list[ReadyReply]:
        return shared_macros(self.client)

    def macro_history(self, since: int) -> Iterator[tuple[HistoryTicket, tuple[int, ...]]]:
        """The solved tickets updated since ``since``, their agents' public replies and the
        macros applied on each, read through discovery's export and each one's audits."""
        own = self.own_id()
        seen: set[int] = set()
        for page in self.ticket_pages(None, since=since):
            for ticket in page.tickets:
                if in_window(ticket, since) and ticket.id not in seen:
                    seen.add(ticket.id)
                    path = f"/api/v2/tickets/{int(ticket.id)}/audits.json"
                    audits = self.client.paged(path, "audits")
                    yield solved(ticket, audit_comments(audits), own), applied_macros(audits)
