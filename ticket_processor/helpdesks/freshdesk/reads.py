"""Freshdesk reads for notes, routing, the spam gate and the help centre: conversations, counts,
a requester's solved tickets, groups, agents, articles.

Functions of a ``FreshdeskTransport``; ``FreshdeskHelpdesk`` delegates to them. Each follows
Freshdesk's ``Link`` header through every page and skips items that are not the expected shape.
Articles are the whole help centre each time (Solutions has no changed-since filter): category
by category, folder by folder; a folder's visibility becomes the article's, drafts are removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ...models import Agent, Article, ArticleListing, FieldOption, Group, HelpdeskField
from .records import STATUS_FROM_FRESHDESK, text_of
from .wire import FreshdeskTransport

VISIBILITY = {1: "everyone", 2: "signed_in"}  # folder visibility; anything else is internal


def notes(http: FreshdeskTransport, ticket_id: int) -> list[str]:
    return [text for _, text in private_notes(http, ticket_id)]


def private_notes(http: FreshdeskTransport, ticket_id: int) -> list[tuple[int, str]]:
    """A ticket's private notes as (conversation id, plain text), oldest first."""
    found: list[tuple[int, str]] = []
    for page in http.pages(f"/api/v2/tickets/{int(ticket_id)}/conversations"):
        for item in page:
            if isinstance(item, dict) and item.get("private"):
                note_id = item.get("id")
                text = text_of(item.get("body_text"), item.get("body"))
                found.append((note_id if isinstance(note_id, int) else 0, text))
    return found


# ``include=conversations`` embeds at most this many conversations, the oldest first.
EMBEDDED_CONVERSATIONS = 10


def notes_and_field(
    http: FreshdeskTransport, ticket_id: int, field_key: str
) -> tuple[list[str], object]:
    """The ticket with its conversations embedded (``include=conversations``): its private
    notes and its custom field ``field_key``, one request. Freshdesk embeds only the ten
    oldest conversations; a ticket with that many may have more, and ticketbot's later notes
    (a review, a revert) are what the page lists, so its notes are then read in full."""
    answer = http.request(
        "GET", f"/api/v2/tickets/{int(ticket_id)}", params={"include": "conversations"}
    )
    ticket = answer.body if isinstance(answer.body, dict) else {}
    fields = ticket.get("custom_fields")
    value = fields.get(field_key) if isinstance(fields, dict) else None
    embedded = ticket.get("conversations")
    embedded = embedded if isinstance(embedded, list) else []
    if len(embedded) >= EMBEDDED_CONVERSATIONS:
        return notes(http, ticket_id), value
    found = [
        text_of(item.get("body_text"), item.get("body"))
        for item in embedded
        if isinstance(item, dict) and item.get("private")
    ]
    return found, value


def count_open_before(http: FreshdeskTransport, moment: int) -> int | None:
    """How many tickets are open or pending and last changed before ``moment``'s day."""
    # The filter compares dates only: tickets last changed before the day of ``moment``.
    day = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d")
    query = f"(status:2 OR status:3) AND updated_at:<'{day}'"
    answer = http.request(
        "GET", "/api/v2/search/tickets", params={"query": f'"{query}"', "page": 1}
    )
    total = answer.body.get("total") if isinstance(answer.body, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def requester_known(http: FreshdeskTransport, requester_id: int) -> bool | None:
    """Whether the requester has a solved or closed ticket; None when the answer is unreadable."""
    # The list, not the search: Freshdesk's filter query has no requester. Without
    # ``updated_since`` the list holds only the last 30 days' tickets.
    params = {
        "requester_id": int(requester_id),
        "updated_since": "2000-01-01T00:00:00Z",
        "per_page": 100,
    }
    answer = http.request("GET", "/api/v2/tickets", params=params)
    if not isinstance(answer.body, list):
        return None
    solved = {code for code, word in STATUS_FROM_FRESHDESK.items() if word in ("solved", "closed")}
    return any(isinstance(t, dict) and t.get("status") in solved for t in answer.body)


def groups(http: FreshdeskTransport) -> list[Group]:
    return [
        Group(int(g["id"]), str(g.get("name") or ""))
        for page in http.pages("/api/v2/groups", {"per_page": 100})
        for g in page
        if isinstance(g, dict) and isinstance(g.get("id"), int)
    ]


def ticket_fields(http: FreshdeskTransport) -> list[HelpdeskField]:
    """The custom fields (``cf_`` names); a drop-down's choices are its labels, written as such."""
    kinds = {"custom_text": "text", "custom_paragraph": "text", "custom_dropdown": "dropdown"}
    answer = http.request("GET", "/api/v2/ticket_fields")
    found = []
    for f in answer.body if isinstance(answer.body, list) else ():
        if not isinstance(f, dict) or f.get("default") or not str(f.get("name", "")):
            continue
        choices = f.get("choices") or ()
        labels = [c if isinstance(c, str) else c.get("value") for c in choices if c]
        options = tuple(FieldOption(str(v), str(v)) for v in labels if isinstance(v, str))
        kind = str(f.get("type") or "")
        found.append(
            HelpdeskField(
                str(f["name"]),
                str(f.get("label") or ""),
                kinds.get(kind, kind),
                options,
                shown_to_customers=f.get("displayed_to_customers") is True,
                customers_can_edit=f.get("customers_can_edit") is True,
            )
        )
    return found


def agents(http: FreshdeskTransport) -> list[Agent]:
    members: dict[int, list[int]] = {}
    for group in http.pages("/api/v2/groups", {"per_page": 100}):
        for g in group:
            for agent_id in g.get("agent_ids") or () if isinstance(g, dict) else ():
                if isinstance(agent_id, int) and isinstance(g.get("id"), int):
                    members.setdefault(agent_id, []).append(g["id"])
    found = []
    for page in http.pages("/api/v2/agents", {"per_page": 100}):
        for a in page:
            if not isinstance(a, dict) or not isinstance(a.get("id"), int):
                continue
            contact = a.get("contact")
            contact = contact if isinstance(contact, dict) else {}
            found.append(
                Agent(
                    int(a["id"]),
                    str(contact.get("name") or ""),
                    contact.get("email") if isinstance(contact.get("email"), str) else None,
                    tuple(members.get(int(a["id"]), ())),
                )
            )
    return found


def articles(http: FreshdeskTransport) -> ArticleListing:
    """Freshdesk Solutions has no changed-since filter: always the whole help centre."""
    return ArticleListing(_all_articles(http), complete=True)


def _all_articles(http: FreshdeskTransport) -> Iterator[Article]:
    for categories in http.pages("/api/v2/solutions/categories"):
        for category in categories:
            if not isinstance(category, dict):
                continue
            path = f"/api/v2/solutions/categories/{category.get('id')}/folders"
            for folders in http.pages(path):
                for folder in folders:
                    if isinstance(folder, dict):
                        yield from _folder_articles(http, folder)


def _folder_articles(http: FreshdeskTransport, folder: dict[str, Any]) -> Iterator[Article]:
    visibility = VISIBILITY.get(folder.get("visibility"), "internal")  # type: ignore[arg-type]
    for page in http.pages(f"/api/v2/solutions/folders/{folder.get('id')}/articles"):
        for item in page:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                continue
            yield Article(
                id=int(item["id"]),
                title=str(item.get("title") or ""),
                body=text_of(item.get("description_text"), item.get("description")),
                url=f"{http.base_url}/support/solutions/articles/{item['id']}",
                locale=str(item.get("language") or "en"),
                updated_at=str(item.get("updated_at") or ""),
                visibility=visibility,  # type: ignore[arg-type]
                removed=item.get("status") != 2,  # 1 draft, 2 published
            )
