"""Zendesk's deletions as the privacy feature follows them (``HelpdeskKind.deletions``).

- ``GET /api/v2/deleted_tickets?sort_by=deleted_at&sort_order=desc``, 100 a page: the tickets
  in the trash (``id``, ``deleted_at``, ``actor``, ``previous_state``), newest deletion first,
  read until one deleted before ``since`` (Zendesk keeps them 30 days, then scrubs them);
- ``GET /api/v2/deleted_users``, 100 a page: the users deleted and not yet permanently
  (``id``, ``email``, ``updated_at`` — the deletion's moment), those changed since ``since``.

Both are allowed to agents; the read stops at ``max_requests`` (the list endpoints allow 10
requests a minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...models import Helpdesk
from ..deletions import Deletions
from ..sla import iso_seconds
from .adapter import ZendeskHelpdesk

PAGE = 100


def _pages(
    http: Any, path: str, key: str, params: dict[str, Any], spent: list[int], most: int
) -> Iterator[list[dict[str, Any]] | None]:
    """Each page's objects under ``key``, by ``page`` number, while ``spent`` stays under
    ``most``; None when the budget ran out before the end."""
    page = 1
    while spent[0] < most:
        body = http.request("GET", path, params={**params, "per_page": PAGE, "page": page})
        spent[0] += 1
        items = body.get(key) if isinstance(body, dict) else None
        found = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        yield found
        if not found or not body.get("next_page"):
            return
        page += 1
    yield None  # the budget ran out before the end


def read_deletions(helpdesk: Helpdesk, *, since: float, max_requests: int) -> Deletions:
    if not isinstance(helpdesk, ZendeskHelpdesk):
        raise TypeError("the Zendesk deletion read needs the Zendesk adapter")
    http = helpdesk.client.http
    # One request for each list at least, whatever the budget: a deletion is always followed.
    spent, most = [0], max(2, max_requests)
    tickets: set[int] = set()
    complete = True
    newest_first = {"sort_by": "deleted_at", "sort_order": "desc"}
    for page in _pages(
        http, "/api/v2/deleted_tickets.json", "deleted_tickets", newest_first, spent, most - 1
    ):
        if page is None:
            complete = False
            break
        recent = [t for t in page if (iso_seconds(t.get("deleted_at")) or 0) >= since]
        tickets.update(int(t["id"]) for t in recent if isinstance(t.get("id"), int))
        if len(recent) < len(page):
            break  # the rest were deleted before the last read
    people: set[int] = set()
    addresses: set[str] = set()
    for page in _pages(http, "/api/v2/deleted_users.json", "deleted_users", {}, spent, most):
        if page is None:
            complete = False
            break
        for user in page:
            if (iso_seconds(user.get("updated_at")) or since) < since:
                continue
            if isinstance(user.get("id"), int):
                people.add(int(user["id"]))
            if isinstance(user.get("email"), str) and "@" in user["email"]:
                addresses.add(user["email"])
    return Deletions(
        frozenset(tickets),
        frozenset(people),
        frozenset(addresses),
        requests=spent[0],
        complete=complete,
    )
