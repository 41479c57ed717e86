"""The team's history on Freshdesk: resolved and closed tickets and their agents' public
replies, with the Solutions articles those replies link.

Tickets come from the list discovery reads (``updated_since``, its paging and pacing); each
resolved (4) or closed (5) one updated inside the window has its conversations read (``GET
/api/v2/tickets/{id}/conversations``, paged). An agent's public reply is a conversation with
``incoming: false`` and ``private: false`` not written by the user ticketbot signs in as. A
Solutions article's URL is ``https://<domain>/support/solutions/articles/<id>`` (an optional
``-<slug>`` after the id, the portal's own domain possible).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ...models import AgentReply, HistoryTicket, Ticket
from ..history import articles_linked, in_window
from .discovery import ticket_pages
from .public_reply import requester_language
from .records import text_of
from .replies import PER_PAGE
from .wire import FreshdeskTransport

ARTICLE_LINK = re.compile(r"/support/solutions/articles/(\d+)")


def linked_articles(*texts: object) -> tuple[int, ...]:
    """The article ids the texts link, in order of first mention."""
    return articles_linked(ARTICLE_LINK, texts)


def agent_replies(items: Iterable[Any], own_id: int | None) -> Iterator[AgentReply]:
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("incoming") is not False or item.get("private") is not False:
            continue
        if own_id is not None and item.get("user_id") == own_id:
            continue
        raw = item.get("body")
        text = text_of(item.get("body_text"), raw)
        created = item.get("created_at")
        yield AgentReply(
            body=text,
            created_at=created if isinstance(created, str) else None,
            articles=linked_articles(raw, text),
        )


def solved(ticket: Ticket, items: list[Any], own_id: int | None) -> HistoryTicket:
    return HistoryTicket(ticket, tuple(agent_replies(items, own_id)))


def solved_history(
    http: FreshdeskTransport, since: int, own_id: int | None
) -> Iterator[HistoryTicket]:
    """The resolved and closed tickets updated since ``since`` and their agents' public
    replies, read through discovery's list (its pages and pacing) and each one's
    conversations."""
    seen: set[int] = set()  # a page boundary's second is read again on the next page
    for page in ticket_pages(http, None, since=since):
        for ticket in page.tickets:
            if in_window(ticket, since) and ticket.id not in seen:
                seen.add(ticket.id)
                path = f"/api/v2/tickets/{int(ticket.id)}/conversations"
                pages = http.pages(path, {"per_page": PER_PAGE})
                yield solved(ticket, [i for p in pages for i in p], own_id)


class HistoryReads:
    """What the answers read of Freshdesk beyond the ``Helpdesk`` protocol: the team's solved
    history and a requester's own language (the adapter's, kept here by concern)."""

    http: FreshdeskTransport

    def own_id(self) -> int | None:
        raise NotImplementedError  # the adapter's

    def solved_history(self, since: int) -> Iterator[HistoryTicket]:
        return solved_history(self.http, since, self.own_id())

    def requester_locale(self, user_id: int) -> str | None:
        return requester_language(self.http, user_id)
