"""Zendesk's paged reads: the incremental exports, the Search API, list endpoints, comments.

Functions of a ``ZendeskTransport``; ``ZendeskClient`` delegates to them. Discovery streams
``ExportPage`` s and never holds the backlog: a ticket that does not parse is reported in
``ExportPage.malformed``. A 403 on the incremental export (it needs an admin's token) raises
``IncrementalExportForbidden`` so the caller can switch to search; the Search API stops at
Zendesk's 1,000-result limit with ``limit_reached``. Next-page links are followed only back to
the same Zendesk (``ZendeskTransport.local_path``). The ticket event export is read one page a
call (``ticket_event_page``): its caller decides per page whether to go on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from ...errors import AuthError, IncrementalExportForbidden, RecordInvalidError, StartTimeTooRecent
from .records import (
    EventPage,
    ExportPage,
    parse_ticket_events,
    parse_tickets,
    side_loaded_people,
)
from .wire import ZendeskTransport

# The client's logger, as before the reads moved here.
log = logging.getLogger("ticket_processor.zendesk")

SEARCH_RESULT_LIMIT = 1000  # the Search API serves no result past the 1,000th


def _forbidden(exc: AuthError) -> IncrementalExportForbidden:
    return IncrementalExportForbidden(
        "Zendesk refused the incremental ticket export (403): it needs an "
        "admin's API token; use an admin for ZENDESK_EMAIL or the Search API",
        status_code=403,
        request_id=exc.request_id,
    )


def incremental_pages(
    http: ZendeskTransport,
    *,
    start_time: int | None = None,
    cursor: str | None = None,
    per_page: int = 1000,
) -> Iterator[ExportPage]:
    """Stream the cursor-based incremental export from ``cursor`` (or ``start_time``).

    Each page's ``after_cursor`` resumes after it. Deleted and solved tickets come too;
    filtering is the caller's. Raises ``IncrementalExportForbidden`` on 403.
    """
    if cursor is None and start_time is None:
        raise ValueError("incremental_tickets needs a cursor or a start_time")
    # Side-loaded users: the names redacted from each ticket, in the page's own request.
    params: dict[str, Any] = {"per_page": max(1, min(per_page, 1000)), "include": "users"}
    if cursor is not None:
        params["cursor"] = cursor
    else:
        params["start_time"] = start_time
    while True:
        try:
            body = http.request("GET", "/api/v2/incremental/tickets/cursor.json", params=params)
        except AuthError as exc:
            if exc.status_code == 403:
                raise _forbidden(exc) from exc
            raise
        after = body.get("after_cursor")
        after_cursor = str(after) if after else None
        # A page without a cursor to go on from is the last one, whatever it claims.
        end = bool(body.get("end_of_stream")) or after_cursor is None
        # The decoded JSON (several times the parsed tickets' memory) goes while the page is
        # parsed, not after it is worked: ``parse_tickets`` empties the list it is given.
        items = body.pop("tickets", None)
        users = side_loaded_people(body.pop("users", None))
        del body
        tickets, malformed = parse_tickets(items, users)
        del items
        yield ExportPage(tickets, after_cursor, end, malformed)
        del tickets, malformed  # the reader has them: not held here while the next is read
        if end:
            return
        params = {"per_page": params["per_page"], "cursor": after_cursor, "include": "users"}


def ticket_event_page(http: ZendeskTransport, start_time: int) -> EventPage:
    """One page of the time-based ticket event export from ``start_time``, comments included
    (``include=comment_events``). ``StartTimeTooRecent`` when Zendesk refuses a start less
    than a minute old; ``IncrementalExportForbidden`` on 403."""
    return parse_ticket_events(ticket_events_body(http, start_time, comments=True))


def ticket_events_body(http: ZendeskTransport, start_time: int, *, comments: bool) -> Any:
    """One page of the ticket event export as Zendesk answers it (``comments``: with the
    ``comment_events`` sideload), its refusals translated as ``ticket_event_page`` says."""
    params: dict[str, Any] = {"start_time": int(start_time)}
    if comments:
        params["include"] = "comment_events"
    try:
        body = http.request("GET", "/api/v2/incremental/ticket_events.json", params=params)
    except AuthError as exc:
        if exc.status_code == 403:
            raise _forbidden(exc) from exc
        raise
    except RecordInvalidError as exc:
        if "too recent" in str(exc).lower():
            raise StartTimeTooRecent(
                str(exc), request_id=exc.request_id, details=exc.details
            ) from exc
        raise
    return body


def search_pages(
    http: ZendeskTransport, query: str, *, per_page: int = 100
) -> Iterator[ExportPage]:
    """Stream Search API results for ``query`` (``type:ticket`` is added if missing).

    Zendesk serves at most 1,000 results a query: the page that reaches the limit (or the
    422 past it) comes with ``limit_reached=True`` and ends the stream; narrow the query
    (e.g. by ``created>``) and search again for the rest.

    The pages are all read before the first is given (10 requests and 1,000 tickets at most):
    the Search API pages by offset, and a run that writes to the tickets it has been given
    (``-tags:ai_processed``) would otherwise shift the later pages under it and skip tickets.
    """
    yield from list(_search_pages(http, query, per_page=per_page))


def _search_pages(http: ZendeskTransport, query: str, *, per_page: int) -> Iterator[ExportPage]:
    if "type:ticket" not in query:
        query = f"type:ticket {query}".strip()
    per_page = max(1, min(per_page, 100))
    page = 1
    while True:
        params = {"query": query, "per_page": per_page, "page": page, "include": "tickets(users)"}
        try:
            body = http.request("GET", "/api/v2/search.json", params=params)
        except RecordInvalidError:
            if page == 1:
                raise
            log.warning("search stopped at Zendesk's %d-result limit", SEARCH_RESULT_LIMIT)
            yield ExportPage([], None, True, limit_reached=True)
            return
        results = body.get("results")
        items = [
            r
            for r in (results if isinstance(results, list) else [])
            if not isinstance(r, dict) or r.get("result_type", "ticket") == "ticket"
        ]
        tickets, malformed = parse_tickets(items, side_loaded_people(body.get("users")))
        has_next = bool(body.get("next_page")) and bool(results)
        limit = has_next and page * per_page >= SEARCH_RESULT_LIMIT
        end = not has_next or limit
        yield ExportPage(tickets, None, end, malformed, limit_reached=limit)
        if end:
            return
        page += 1


def paged(
    http: ZendeskTransport, path: str, key: str, *, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every object under ``key`` of a list endpoint, following ``next_page`` (100 a page)."""
    found: list[dict[str, Any]] = []
    query: dict[str, Any] | None = {"per_page": 100, **(params or {})}
    current: str | None = path
    while current is not None:
        body = http.request("GET", current, params=query)
        items = body.get(key)
        found.extend(i for i in (items if isinstance(items, list) else []) if isinstance(i, dict))
        current = http.local_path(body.get("next_page")) if items else None
        query = None  # the next-page link carries its own query
    return found


def comments(http: ZendeskTransport, ticket_id: int) -> list[dict[str, Any]]:
    """Every comment on a ticket, oldest first, 100 a page.

    Asks for cursor pagination (``meta.after_cursor``); an answer in the older offset style
    is followed through ``next_page`` as long as it points back at the same Zendesk.
    """
    path = f"/api/v2/tickets/{int(ticket_id)}/comments.json"
    params: dict[str, Any] | None = {"page[size]": 100}
    found: list[dict[str, Any]] = []
    while True:
        body = http.request("GET", path, params=params)
        items = body.get("comments")
        found.extend(c for c in (items if isinstance(items, list) else []) if isinstance(c, dict))
        meta = body.get("meta")
        after = meta.get("after_cursor") if isinstance(meta, dict) else None
        if isinstance(meta, dict) and meta.get("has_more") and after:
            params = {"page[size]": 100, "page[after]": after}
            continue
        next_path = http.local_path(body.get("next_page"))
        if not items or next_path is None:
            return found
        path, params = next_path, None
