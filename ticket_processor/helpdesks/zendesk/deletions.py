"""Zendesk's deletions as the privacy feature follows them (``HelpdeskKind.deletions``).

- ``GET /api/v2/deleted_tickets?sort_by=deleted_at&sort_order=desc``, 100 a page: the tickets
  in the trash (``id``, ``deleted_at``, ``actor``, ``previous_state``), newest deletion first,
  read until one deleted before ``since`` (Zendesk keeps them 30 days, then scrubs them);
- ``GET /api/v2/deleted_users``, 100 a page: the users deleted and not yet permanently
  (``id``, ``email``, ``updated_at`` — the deletion's moment), those changed since ``since``.
- ``GET /api/v2/incremental/ticket_events?start_time=``: the tickets one of whose comments was
  redacted (a ``CommentRedactionEvent`` child event, ``comment_id``; the agent workspace's
  ``PUT /api/v2/comment_redactions/{id}`` and the older ``.../comments/{id}/redact`` both record
  one) since ``since``, a page of up to 1,000 events a request. The export needs an admin's
  token: with an agent's (403) redactions are not followed and the read says so in its
  ``notes``. It leaves out the last minute and refuses a ``start_time`` within it: then there
  is nothing to read yet, and the next read, from this one's moment less ``OVERLAP``, sees it.

The first two are allowed to agents; the read stops at ``max_requests`` (the list endpoints
and the export allow 10 requests a minute).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import IncrementalExportForbidden, StartTimeTooRecent
from ...models import Helpdesk
from ..deletions import Deletions
from ..sla import iso_seconds
from .adapter import ZendeskHelpdesk
from .reads import ticket_events_body

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


def _redacted(events: object) -> set[int]:
    """The tickets of the export's events that hold a comment's redaction."""
    found: set[int] = set()
    for event in events if isinstance(events, list) else []:
        children = event.get("child_events") if isinstance(event, dict) else None
        ticket_id = event.get("ticket_id") if isinstance(event, dict) else None
        if not isinstance(ticket_id, int) or not isinstance(children, list):
            continue
        if any(
            isinstance(c, dict) and c.get("event_type") == "CommentRedactionEvent" for c in children
        ):
            found.add(ticket_id)
    return found


def _redactions(http: Any, since: float, spent: list[int], most: int) -> tuple[set[int], bool]:
    """The tickets with a comment redacted at or after ``since``, and whether the export was
    read to its end within the budget. ``IncrementalExportForbidden`` on an agent's token."""
    tickets: set[int] = set()
    start = int(since)
    while spent[0] < most:
        try:
            body = ticket_events_body(http, start, comments=False)
        except StartTimeTooRecent:
            spent[0] += 1
            return tickets, True  # within the last minute: the next read starts before it
        spent[0] += 1
        body = body if isinstance(body, dict) else {}
        tickets |= _redacted(body.get("ticket_events"))
        end_time = body.get("end_time")
        if body.get("end_of_stream") or not isinstance(end_time, int) or end_time <= start:
            return tickets, True
        start = end_time
    return tickets, False


def read_deletions(helpdesk: Helpdesk, *, since: float, max_requests: int) -> Deletions:
    if not isinstance(helpdesk, ZendeskHelpdesk):
        raise TypeError("the Zendesk deletion read needs the Zendesk adapter")
    http = helpdesk.client.http
    # One request for each list at least, whatever the budget: a deletion is always followed.
    spent, most = [0], max(3, max_requests)
    tickets: set[int] = set()
    complete = True
    newest_first = {"sort_by": "deleted_at", "sort_order": "desc"}
    for page in _pages(
        http, "/api/v2/deleted_tickets.json", "deleted_tickets", newest_first, spent, most - 2
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
    for page in _pages(http, "/api/v2/deleted_users.json", "deleted_users", {}, spent, most - 1):
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
    notes: tuple[str, ...] = ()
    try:
        redacted, read_all = _redactions(http, since, spent, most)
    except IncrementalExportForbidden:
        redacted, read_all = set(), True
        notes = ("comment redactions not followed: the ticket event export needs an admin's token",)
    return Deletions(
        frozenset(tickets | redacted),
        frozenset(people),
        frozenset(addresses),
        requests=spent[0],
        complete=complete and read_all,
        notes=notes,
    )
