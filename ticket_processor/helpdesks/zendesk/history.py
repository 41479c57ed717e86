"""The team's history on Zendesk: solved tickets and their agents' public replies, with the
help-centre articles those replies link.

Tickets come from the incremental export discovery reads (its pages, its pacing); each solved
or closed one updated inside the window has its comments read (``GET /tickets/{id}/comments``).
An agent's public reply is a comment with ``public: true`` whose author is neither the requester
nor the user ticketbot signs in as (ticketbot's own answers would teach the gate its own
choices). A Help Center article's URL is ``https://<sub>.zendesk.com/hc/<locale>/articles/
<id>-<slug>`` (the locale may be left out, the host may be the help centre's own domain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ...models import AgentReply, HistoryTicket, Ticket
from ..history import articles_linked

ARTICLE_LINK = re.compile(r"/hc/(?:[A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*/)?articles/(\d+)")


def linked_articles(*texts: object) -> tuple[int, ...]:
    """The article ids the texts link, in order of first mention."""
    return articles_linked(ARTICLE_LINK, texts)


def agent_replies(
    comments: Iterable[dict[str, Any]], requester_id: int | None, own_id: int | None
) -> Iterator[AgentReply]:
    for comment in comments:
        author = comment.get("author_id")
        if comment.get("public") is False or author is None:
            continue
        if author == requester_id or (own_id is not None and author == own_id):
            continue
        body = comment.get("plain_body") or comment.get("body")
        created = comment.get("created_at")
        yield AgentReply(
            body=body if isinstance(body, str) else "",
            created_at=created if isinstance(created, str) else None,
            articles=linked_articles(comment.get("html_body"), comment.get("body")),
        )


def solved(ticket: Ticket, comments: list[dict[str, Any]], own_id: int | None) -> HistoryTicket:
    # The first comment is the ticket's description, never a reply.
    return HistoryTicket(ticket, tuple(agent_replies(comments[1:], ticket.requester_id, own_id)))
