"""Customers' replies on Freshdesk: tickets changed since ticketbot last wrote them, read whole.

``FreshdeskHelpdesk.reply_pages`` and ``conversation`` delegate here. Freshdesk's change feed
(the ticket list by ``updated_since``) shows that a ticket changed, never which conversation did
it, so it is read as discovery reads it (``discovery.ticket_pages``, 100 a page) and a ticket's
conversations (one request per 100) are read only when it carries the processed marker, is not
resolved or closed, and changed after ticketbot's own last write on it (``written``; a ticket
whose last write is not known is read). ``stats.requester_responded_at`` would say when the
customer last wrote, but Freshdesk leaves it alone for a customer's second message in a row, so
it never decides that a ticket is skipped. A message is the requester's when it came in
(``incoming``) from the ticket's requester (``user_id``), and never when it is a forwarded email.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...errors import NotFoundError
from ...models import Conversation, Cursor, Message, ReplyPage, Status, Ticket, fit_tag
from .discovery import ticket_pages
from .paging import iso, moment
from .people import WITH_REQUESTER
from .records import TAG_MAX, parse_tickets, text_of
from .wire import FreshdeskTransport

# The id of the agent ticketbot signs in as, asked for when a conversation is first read.
OwnId = Callable[[], int | None]

CURSOR_KIND = "replies_updated_since"
PER_PAGE = 100  # conversations a request
FORWARDED = frozenset({8})  # a conversation's ``source``: created from a forwarded email
_DONE = (Status.SOLVED.value, Status.CLOSED.value)


def reply_pages(
    http: FreshdeskTransport,
    cursor: Cursor | None,
    *,
    since: int,
    marker: str,
    written: Callable[[int], str | None],
    own_id: OwnId,
) -> Iterator[ReplyPage]:
    """``own_id()``: the agent ticketbot signs in as (``agents/me``), the author of its notes;
    asked only when a conversation is read."""
    start = cursor.value if cursor is not None and cursor.kind == CURSOR_KIND else None
    position = Cursor("updated_since", start) if start else None
    markers = {marker, fit_tag(marker, TAG_MAX)}
    resume = start or iso(since)
    for page in ticket_pages(http, position, since=since):
        conversations = [
            _conversation(http, ticket, own_id)
            for ticket in page.tickets
            if markers & set(ticket.tags)
            and ticket.status not in _DONE
            and _changed_since(ticket, written(ticket.id))
        ]
        if page.next_cursor is not None and page.next_cursor.value:
            resume = page.next_cursor.value
        notices = page.notices
        if page.malformed:
            notices += (("replies_malformed", f"skipped {len(page.malformed)} ticket record(s)"),)
        yield ReplyPage(conversations, Cursor(CURSOR_KIND, resume), notices, page.last)


def _changed_since(ticket: Ticket, written: str | None) -> bool:
    """Whether the ticket changed after ticketbot's last write (True when either is unknown)."""
    if written is None or ticket.updated_at is None:
        return True
    try:
        return moment(ticket.updated_at) > moment(written)
    except ValueError:
        return True


def conversation(http: FreshdeskTransport, ticket_id: int, own_id: OwnId) -> Conversation | None:
    """One ticket read and its conversations (None: no such ticket)."""
    try:
        answer = http.request("GET", f"/api/v2/tickets/{int(ticket_id)}", params=WITH_REQUESTER)
        tickets, _ = parse_tickets([answer.body])
        return _conversation(http, tickets[0], own_id) if tickets else None
    except NotFoundError:
        return None


def _conversation(http: FreshdeskTransport, ticket: Ticket, own_id: OwnId) -> Conversation:
    path = f"/api/v2/tickets/{int(ticket.id)}/conversations"
    items = [item for page in http.pages(path, {"per_page": PER_PAGE}) for item in page]
    return Conversation(ticket, tuple(messages(items, ticket.requester_id, own_id())))


def messages(
    items: list[Any], requester_id: int | None, own_id: int | None = None
) -> Iterator[Message]:
    """Conversations as ``Message`` s, in Freshdesk's order (oldest first); an item without an
    integer id is skipped. An item is ticketbot's when its ``user_id`` is ``own_id`` (the
    agent id: Freshdesk's agents are users with the same id; None: no item is)."""
    for item in items:
        if not isinstance(item, dict):
            continue
        conversation_id = item.get("id")
        if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
            continue
        text = text_of(item.get("body_text"), item.get("body"))
        created = item.get("created_at")
        from_requester = (
            item.get("incoming") is True
            and requester_id is not None
            and item.get("user_id") == requester_id
            and item.get("source") not in FORWARDED
        )
        yield Message(
            id=conversation_id,
            body=text,
            created_at=created if isinstance(created, str) else None,
            public=item.get("private") is False,
            from_requester=from_requester,
            from_ticketbot=own_id is not None and item.get("user_id") == own_id,
        )
