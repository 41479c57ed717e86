"""Freshdesk discovery: the ticket list paged by ``updated_at``, and the search API.

``FreshdeskHelpdesk.ticket_pages`` delegates here. The list is read 100 a page with
``include=description``, each next page a new query from the last ``updated_at`` seen
(``paging.next_query``), so neither our own writes nor Freshdesk's 300-page cap skip a
ticket; after the last page the next run starts past its last second once Freshdesk's clock has
left it (``paging.resume_at``), so a quiet run does not read that second's tickets again; a
saved position Freshdesk refuses (or that is not a time) is a ``CursorRejectedError``.
Search stops at Freshdesk's ten pages of 30 with a ``discover_limit`` notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...errors import CursorRejectedError, HelpdeskError
from ...models import Cursor, Ticket, TicketPage
from .paging import answered_at, earliest, iso, latest, moment, next_query, resume_at
from .records import parse_tickets
from .wire import FreshdeskTransport

PER_PAGE = 100
SEARCH_PAGES = 10  # ... and no search page past the tenth (30 results each)


def ticket_pages(
    http: FreshdeskTransport, cursor: Cursor | None, *, since: int, query: str | None = None
) -> Iterator[TicketPage]:
    if query is not None:
        yield from search_pages(http, query)
        return
    start = cursor.value if cursor is not None and cursor.kind == "updated_since" else None
    if start is not None:
        try:
            datetime.fromisoformat(start.replace("Z", "+00:00"))
        except ValueError:
            raise CursorRejectedError(f"the saved position {start!r} is not a time") from None
    floor: str | None = None  # the cursor may not pass this (see ``paging.next_query``)
    # Pages of one second go on by offset (``paging.next_query``), and the run's own writes move
    # tickets out of that second: they are all read before the first of them is given, so no
    # write can shift the later ones (a bulk import or a macro stamps hundreds in one second).
    held: list[TicketPage] = []
    second: str | None = None  # the second whose pages are held
    for tickets, malformed, top, following, queried, answered in _list_pages(
        http, start or iso(since), start
    ):
        if following is not None and following[1] > 1:
            floor = floor or queried
            second = second or queried
        resume = earliest(floor, top) if top is not None else floor
        if top is not None and following is None and floor is None:
            resume = resume_at(top, answered)  # the list's end: past its last second once over
        after = Cursor("updated_since", resume) if resume else None
        page = TicketPage(tickets, after, malformed, last=following is None)
        del tickets, malformed
        if following is not None and following[1] > 1:
            held.append(page)
            continue
        if second is not None:
            held += _slid(http, second, [*held, page], after)
            second = None
        yield from held
        held.clear()
        yield page
        del page  # the reader has it: not held here while the next is read
    yield from held


# Passes over a second's pages again, at most, while each still finds tickets another
# writer's writes slid into pages already read.
REREADS = 3


def _slid(
    http: FreshdeskTransport, second: str, read: list[TicketPage], after: Cursor | None
) -> list[TicketPage]:
    """The tickets of ``second`` that no page of ``read`` held, found by reading that second's
    pages once more (and again while a pass finds some, ``REREADS`` at most).

    A second's pages go on by offset (``paging.next_query``). Our own writes wait until all of
    them are read, but another writer's do not: a concurrent backfill shard, or an agent,
    writing a ticket of that second sends it to the list's end, and every unread ticket after
    it slides one place back, into a page already read. Four shards of a bulk import left 3 of
    400 tickets untriaged that way, each shard sure it had read everything. A second of 100
    tickets or more costs one pass more; a further pass only while tickets were found.
    """
    seen = {ticket.id for page in read for ticket in page.tickets}
    at = moment(second)
    found: list[TicketPage] = []
    for _ in range(REREADS):
        fresh: list[Ticket] = []
        for tickets, _malformed, _top, following, _queried, _at in _list_pages(http, second, None):
            fresh += [t for t in tickets if t.id not in seen and _stamped(t, at)]
            if following is None or following[0] != second:
                break
        if not fresh:
            break
        seen.update(ticket.id for ticket in fresh)
        found.append(TicketPage(fresh, after))
    return found


def _stamped(ticket: Ticket, at: datetime) -> bool:
    return ticket.updated_at is not None and moment(ticket.updated_at) == at


ListPage = tuple[
    list[Ticket], list[dict[str, Any]], str | None, tuple[str, int] | None, str, datetime | None
]


def _list_pages(
    http: FreshdeskTransport, updated_since: str, start: str | None
) -> Iterator[ListPage]:
    """The list's pages, each with its tickets, malformed items, latest ``updated_at``, where
    the list goes on (``paging.next_query``), the ``updated_since`` it was asked with and when
    Freshdesk answered (``paging.answered_at``)."""
    page_number = 1
    while True:
        params = {
            "updated_since": updated_since,
            "order_by": "updated_at",
            "order_type": "asc",
            "per_page": PER_PAGE,
            "page": page_number,
            # The requester's e-mail is a spam-gate cue (a no-reply sender): two credits more
            # a page of 100 tickets.
            "include": "description,requester",
        }
        try:
            answer = http.request("GET", "/api/v2/tickets", params=params)
        except HelpdeskError as exc:
            if page_number == 1 and exc.status_code == 400 and start is not None:
                raise CursorRejectedError(f"Freshdesk refused the saved position ({exc})") from exc
            raise
        tickets, malformed = parse_tickets(answer.body)
        top = latest(t.updated_at for t in tickets)
        following = None
        if top is not None and http.next_page(answer.headers) is not None:
            following = next_query(updated_since, page_number, top)
        yield tickets, malformed, top, following, updated_since, answered_at(answer.headers)
        del answer, tickets, malformed  # the reader has them: not held while the next is read
        if following is None:
            return
        updated_since, page_number = following


def search_pages(http: FreshdeskTransport, query: str) -> Iterator[TicketPage]:
    """The search's pages, all read before the first is given (10 requests and 300 tickets
    at most): Freshdesk pages a search by offset, and a run writing to the tickets it was
    given would otherwise shift the later pages under it and skip tickets."""
    yield from list(_search_pages(http, query))


def _search_pages(http: FreshdeskTransport, query: str) -> Iterator[TicketPage]:
    for page_number in range(1, SEARCH_PAGES + 1):
        answer = http.request(
            "GET", "/api/v2/search/tickets", params={"query": f'"{query}"', "page": page_number}
        )
        body = answer.body if isinstance(answer.body, dict) else {}
        tickets, malformed = parse_tickets(body.get("results"))
        total = body.get("total")
        more = isinstance(total, int) and page_number * 30 < total and bool(tickets)
        notices: tuple[tuple[str, str], ...] = ()
        if more and page_number == SEARCH_PAGES:
            notices = (("discover_limit", "Freshdesk search stops at 10 pages of 30"),)
        yield TicketPage(tickets, None, malformed, notices, last=not more)
        if not more:
            return
