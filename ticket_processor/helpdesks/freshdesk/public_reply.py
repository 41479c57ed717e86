"""A public reply and a status change on a Freshdesk ticket (the answers' ``AnswerDesk``).

A reply is ``POST /tickets/{id}/reply`` (mailed to the requester), then ``PUT /tickets/{id}``
with status Pending and the tags merged into the ticket's own (Freshdesk's ``tags`` replaces
the list). The reply is never replayed by the transport: a lost answer is an unknown fate,
which the next run settles by reading the conversation before it sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...errors import HelpdeskError
from ...models import Ticket
from .records import note_html
from .wire import FreshdeskTransport

STATUS_CODES = {"open": 2, "pending": 3, "solved": 4, "closed": 5}


def requester_name(http: FreshdeskTransport, contact_id: int) -> str | None:
    """The contact's name (``GET /contacts/{id}``), for the reply's greeting; None when it
    cannot be read (an agent as requester, a deleted contact): the greeting is then bare."""
    try:
        answer = http.request("GET", f"/api/v2/contacts/{int(contact_id)}")
    except HelpdeskError:
        return None
    name = answer.body.get("name") if isinstance(answer.body, dict) else None
    return name if isinstance(name, str) else None


def requester_language(http: FreshdeskTransport, contact_id: int) -> str | None:
    """The contact's own ``language`` (``GET /contacts/{id}``, an ISO code such as ``de`` or
    ``pt-BR``), for the reply's language when the ticket's words do not tell it; None when it
    cannot be read."""
    try:
        answer = http.request("GET", f"/api/v2/contacts/{int(contact_id)}")
    except HelpdeskError:
        return None
    language = answer.body.get("language") if isinstance(answer.body, dict) else None
    return language if isinstance(language, str) and language else None


def post_answer(
    http: FreshdeskTransport,
    read: Callable[[int], Ticket | None],
    ticket_id: int,
    body: str,
    *,
    add_tags: Sequence[str],
) -> str | None:
    """The reply sent (its id, which the ``POST``'s answer gives), then status and tags."""
    path = f"/api/v2/tickets/{int(ticket_id)}/reply"
    answer = http.request(
        "POST", path, json={"body": note_html(body)}, replay_safe=False, retry=False
    )
    set_status(http, read, ticket_id, "pending", add_tags=add_tags)
    found = answer.body.get("id") if isinstance(answer.body, dict) else None
    return str(found) if isinstance(found, int) and not isinstance(found, bool) else None


def set_status(
    http: FreshdeskTransport,
    read: Callable[[int], Ticket | None],
    ticket_id: int,
    status: str | None,
    *,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    note: str | None = None,
) -> None:
    if note:
        path = f"/api/v2/tickets/{int(ticket_id)}/notes"
        http.request(
            "POST", path, json={"body": note_html(note), "private": True}, replay_safe=False
        )
    if status is None and not add_tags and not remove_tags:
        return  # a note alone
    fresh = read(ticket_id)
    if fresh is None:
        return
    removed = set(remove_tags)
    tags = [t for t in dict.fromkeys([*fresh.tags, *add_tags]) if t not in removed]
    body: dict[str, Any] = {"tags": tags}
    if status is not None:
        body["status"] = STATUS_CODES[status]
    http.request("PUT", f"/api/v2/tickets/{int(ticket_id)}", json=body)
