"""Customers' replies on Zendesk: the ticket event export read for requesters' public comments.

``ZendeskHelpdesk.reply_pages`` and ``conversation`` delegate here. The time-based ticket event
export (``include=comment_events``) names every comment with its author and whether it is
public, so a page costs one request and only tickets with a public comment are read further:
one ``show_many`` per 100 of them (the ticket's tags, status and requester), and the comments of
those that carry the processed marker, are not solved or closed, and whose requester wrote one
of those comments (one request each). The cursor is the export's own ``end_time``, never the
clock. A start less than a minute old (the previous run was moments ago) is refused by Zendesk;
that is not an error: the run yields one empty page that keeps the cursor. The export needs an
admin's token: with an agent's, the run says so in a notice and finds no replies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ...errors import IncrementalExportForbidden, NotFoundError, StartTimeTooRecent
from ...models import Conversation, Cursor, Message, ReplyPage, Status, Ticket
from .client import BATCH_LIMIT, ZendeskClient

# The id of the user ticketbot signs in as, asked for when a conversation is first read.
OwnId = Callable[[], int | None]

CURSOR_KIND = "ticket_events"
_DONE = (Status.SOLVED.value, Status.CLOSED.value)

ExportSlot = Callable[[], tuple[str, str] | None]
"""Records one export request if it fits the export's minute, else the notice to end with."""


def start_of(cursor: Cursor | None, since: int) -> int:
    """Where the export starts: the saved ``end_time``, else ``since``."""
    if cursor is not None and cursor.kind == CURSOR_KIND and cursor.value:
        try:
            return int(cursor.value)
        except ValueError:
            pass  # not ours: start from ``since`` as without one
    return since


def reply_pages(
    client: ZendeskClient,
    cursor: Cursor | None,
    *,
    since: int,
    marker: str,
    export_slot: ExportSlot,
    own_id: OwnId,
) -> Iterator[ReplyPage]:
    """``own_id()``: the user ticketbot signs in as (``users/me``), the author of its notes;
    asked only when a conversation is read."""
    start = start_of(cursor, since)
    while True:
        pause = export_slot()
        if pause is not None:
            yield ReplyPage([], None, notices=(pause,), last=True)
            return
        try:
            page = client.ticket_events(start)
        except StartTimeTooRecent:
            yield ReplyPage([], Cursor(CURSOR_KIND, str(start)), last=True)
            return
        except IncrementalExportForbidden:
            # An agent's token: discovery falls back to search, but no search finds comments.
            notice = (
                "replies_unavailable",
                "the ticket event export needs an admin's token (403); customers' replies "
                "are not looked for (an admin's token, or TICKETBOT_RETRIAGE=false to stop "
                "looking)",
            )
            yield ReplyPage([], None, notices=(notice,), last=True)
            return
        notices: tuple[tuple[str, str], ...] = ()
        if page.malformed:
            notices = (("replies_malformed", f"skipped {len(page.malformed)} event record(s)"),)
        authors: dict[int, set[int]] = {}
        for ticket_id, author_id in page.public_comments:
            authors.setdefault(ticket_id, set()).add(author_id)
        conversations = [
            _conversation(client, ticket, own_id)
            for ticket in _read(client, list(authors))
            if marker in ticket.tags
            and ticket.status not in _DONE
            and ticket.requester_id in authors.get(ticket.id, ())
        ]
        end_time = page.end_time if page.end_time is not None else start
        stuck = not page.end_of_stream and end_time <= start
        if stuck:
            # More than a page of events in one second: the export cannot move past it.
            notices += (
                (
                    "replies_paused",
                    f"more than a page of ticket events at {start}; the next run goes on",
                ),
            )
        last = page.end_of_stream or stuck
        yield ReplyPage(conversations, Cursor(CURSOR_KIND, str(end_time)), notices, last)
        if last:
            return
        start = end_time


def _read(client: ZendeskClient, ids: list[int]) -> list[Ticket]:
    found: list[Ticket] = []
    for first in range(0, len(ids), BATCH_LIMIT):
        found.extend(client.show_many(ids[first : first + BATCH_LIMIT]))
    return found


def conversation(client: ZendeskClient, ticket_id: int, own_id: OwnId) -> Conversation | None:
    """One ticket (one ``show_many`` read) and its comments."""
    tickets = client.show_many([ticket_id])
    if not tickets:
        return None
    try:
        return _conversation(client, tickets[0], own_id)
    except NotFoundError:
        return None  # deleted between the two reads


def _conversation(client: ZendeskClient, ticket: Ticket, own_id: OwnId) -> Conversation:
    comments = client.comments(ticket.id)
    return Conversation(ticket, tuple(messages(comments[1:], ticket.requester_id, own_id())))


def messages(
    comments: list[dict[str, Any]], requester_id: int | None, own_id: int | None = None
) -> Iterator[Message]:
    """Comments as ``Message`` s, oldest first; a comment without an integer id is skipped.
    A comment is ticketbot's when its author is ``own_id`` (None: no comment is)."""
    for comment in comments:
        comment_id = comment.get("id")
        if not isinstance(comment_id, int) or isinstance(comment_id, bool):
            continue
        body = comment.get("plain_body")
        if not isinstance(body, str):
            body = comment.get("body")
        created = comment.get("created_at")
        author = comment.get("author_id")
        yield Message(
            id=comment_id,
            body=body if isinstance(body, str) else "",
            created_at=created if isinstance(created, str) else None,
            public=comment.get("public") is not False,
            from_requester=requester_id is not None and author == requester_id,
            from_ticketbot=own_id is not None and author == own_id,
        )
