"""Freshdesk's deletions as the privacy feature follows them (``HelpdeskKind.deletions``).

- ``GET /api/v2/tickets?filter=deleted&updated_since=...``, 100 a page, oldest change first: the
  tickets in the trash (a deletion changes the ticket's ``updated_at``);
- ``GET /api/v2/tickets?filter=spam&updated_since=...``: the tickets marked spam (the list
  leaves them out otherwise);
- ``GET /api/v2/contacts?state=deleted&_updated_since=...``: the contacts deleted (``id``,
  ``email``), whose tickets' ``requester_id`` is theirs.

Each list stops at ``max_requests`` in all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...models import Helpdesk
from ..deletions import Deletions
from .adapter import FreshdeskHelpdesk

PAGE = 100


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_deletions(helpdesk: Helpdesk, *, since: float, max_requests: int) -> Deletions:
    if not isinstance(helpdesk, FreshdeskHelpdesk):
        raise TypeError("the Freshdesk deletion read needs the Freshdesk adapter")
    http = helpdesk.http
    after = _iso(since)
    ordered = {"per_page": PAGE, "order_by": "updated_at", "order_type": "asc"}
    lists: list[tuple[str, dict[str, Any]]] = [
        ("/api/v2/tickets", {"filter": "deleted", "updated_since": after, **ordered}),
        ("/api/v2/tickets", {"filter": "spam", "updated_since": after, **ordered}),
        ("/api/v2/contacts", {"state": "deleted", "_updated_since": after, "per_page": PAGE}),
    ]
    most = max(len(lists), max_requests)
    requests, complete = 0, True
    tickets: set[int] = set()
    people: set[int] = set()
    addresses: set[str] = set()
    for number, (path, params) in enumerate(lists):
        pages = http.pages(path, params)
        # A request kept for each list still to read.
        limit = most - (len(lists) - 1 - number)
        while True:
            if requests >= limit:
                complete = False
                break
            page = next(pages, None)
            if page is None:
                break
            requests += 1
            for item in page:
                if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                    continue
                if path.endswith("/tickets"):
                    tickets.add(int(item["id"]))
                    continue
                people.add(int(item["id"]))
                if isinstance(item.get("email"), str) and "@" in item["email"]:
                    addresses.add(item["email"])
    return Deletions(
        frozenset(tickets),
        frozenset(people),
        frozenset(addresses),
        requests=requests,
        complete=complete,
    )
