"""A public reply and a status change on a Zendesk ticket (the answers' ``AnswerDesk``).

A reply is one ``PUT /tickets/{id}``: the public comment, status ``pending`` and the tags
together, so a reply never lands without its tags. It is never replayed by the transport (a
second try could mail the customer twice): a lost answer is an unknown fate, which the next
run settles by reading the conversation before it sends. The reply's id is the ``Comment``
event's of the update's audit, which Zendesk's answer carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import HelpdeskError
from .client import ZendeskClient


def requester_name(client: ZendeskClient, user_id: int) -> str | None:
    """The user's name (``GET /users/{id}``), for the reply's greeting; None when unreadable:
    the greeting is then bare, and the reply is not held up for it."""
    try:
        body = client.http.request("GET", f"/api/v2/users/{int(user_id)}.json")
    except HelpdeskError:
        return None
    user = body.get("user") if isinstance(body, dict) else None
    name = user.get("name") if isinstance(user, dict) else None
    return name if isinstance(name, str) else None


def requester_locale(client: ZendeskClient, user_id: int) -> str | None:
    """The user's own ``locale`` (``GET /users/{id}``), where the ticket's read did not
    side-load it; None when unreadable."""
    try:
        body = client.http.request("GET", f"/api/v2/users/{int(user_id)}.json")
    except HelpdeskError:
        return None
    user = body.get("user") if isinstance(body, dict) else None
    locale = user.get("locale") if isinstance(user, dict) else None
    return locale if isinstance(locale, str) and locale else None


def post_answer(
    client: ZendeskClient, ticket_id: int, body: str, *, add_tags: Sequence[str]
) -> str | None:
    """The reply sent; its comment's id, when the answer's audit names it."""
    change = {
        "comment": {"body": body, "public": True},
        "status": "pending",
        "additional_tags": list(add_tags),
    }
    answer = client.put_ticket(ticket_id, change, replay_safe=False)
    return comment_id(answer)


def comment_id(answer: object) -> str | None:
    """The id of the comment an update added, from its ``audit``'s ``Comment`` event."""
    audit = answer.get("audit") if isinstance(answer, dict) else None
    events = audit.get("events") if isinstance(audit, dict) else None
    for event in events if isinstance(events, list) else ():
        if isinstance(event, dict) and event.get("type") == "Comment":
            found = event.get("id")
            if isinstance(found, int) and not isinstance(found, bool):
                return str(found)
    return None


def set_status(
    client: ZendeskClient,
    ticket_id: int,
    status: str | None,
    *,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    note: str | None = None,
) -> None:
    change: dict[str, Any] = {"status": status} if status is not None else {}
    if add_tags:
        change["additional_tags"] = list(add_tags)
    if remove_tags:
        change["remove_tags"] = list(remove_tags)
    if note:
        change["comment"] = {"body": note, "public": False}
    client.put_ticket(ticket_id, change, replay_safe=note is None)
