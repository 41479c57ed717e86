"""Freshdesk's list requests standing for many single-ticket reads, for ``ticketbot serve``
(``Wiring.burst_reads``): tickets arrive as they are created, so a burst of them is read in
one request, not one each. Freshdesk numbers tickets in order and its list sorts by creation
or update, so one page holds a burst. A ticket the page does not hold is read on its own by
the caller; so is every ticket when the list fails (an authentication failure or an open
breaker excepted: those end the batch as any read would).
"""

from __future__ import annotations

from collections.abc import Sequence

from ...errors import AuthError, BreakerOpenError, HelpdeskError
from ...models import Ticket, WriteBack
from .paging import moment as paging_moment
from .records import parse_tickets
from .wire import FreshdeskTransport

# A batch whose tickets were all planned from reads this close together is read again in one
# list request before writing (``batch_as_now``), one page of ``LIST_PAGE``.
LIST_READ_SPAN = 120.0
LIST_PAGE = 100
# The worker's read of new tickets (``newest``) lists the newest in one request (three credits
# with their descriptions) when it names at least this many; tickets created since may come
# first on that page: this many more places.
NEWEST_AT_LEAST = 5
NEWEST_SLACK = 30


def newest(http: FreshdeskTransport, ids: Sequence[int]) -> dict[int, Ticket]:
    """With ``burst_reads`` (``serve``), tickets just created, read in one list request:
    the newest tickets by creation, with their descriptions (three credits), one page just
    long enough for them. Only when at least ``NEWEST_AT_LEAST`` of ``ids`` are within a
    page of the highest (Freshdesk numbers tickets in order): fewer are cheaper read one by
    one. A ticket not on the page is read on its own."""
    top = max(ids, default=0)
    recent = [i for i in ids if top - i < LIST_PAGE - NEWEST_SLACK]
    if len(recent) < NEWEST_AT_LEAST:
        return {}
    params = {
        "order_by": "created_at",
        "order_type": "desc",
        "per_page": min(LIST_PAGE, top - min(recent) + 1 + NEWEST_SLACK),
        "include": "description,requester",
    }
    try:
        answer = http.request("GET", "/api/v2/tickets", params=params)
    except (AuthError, BreakerOpenError):
        raise
    except HelpdeskError:
        return {}  # each is read on its own, as without the list
    tickets, _ = parse_tickets(answer.body)
    chosen = set(recent)
    return {ticket.id: ticket for ticket in tickets if ticket.id in chosen}


def batch_as_now(http: FreshdeskTransport, changes: Sequence[WriteBack]) -> dict[int, Ticket]:
    """With ``burst_reads`` (``serve``), the batch's tickets as they are now in one list
    request, when they were all planned from reads within ``LIST_READ_SPAN`` of each other
    (a burst of new tickets): the tickets updated since the earliest of those reads, oldest
    first, one page. A ticket not on that page, or whose turn comes more than
    ``LIST_READ_FRESH`` seconds after it, is read on its own; so is every ticket when the
    list fails. One request instead of up to ``BATCH``: a served new ticket costs three
    requests (the worker's read, note, update) instead of four, and 200 of them fit
    Freshdesk's 700 a minute (Enterprise). The description is not asked for (two more
    credits): the re-plan does not read it. A scheduled run keeps one read a ticket."""
    stamps = [change.updated_stamp for change in changes]
    if len(changes) < 2 or not all(stamps):
        return {}
    try:
        moments = sorted(paging_moment(str(stamp)) for stamp in stamps)
    except ValueError:
        return {}
    if (moments[-1] - moments[0]).total_seconds() > LIST_READ_SPAN:
        return {}
    params = {
        "updated_since": moments[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "order_by": "updated_at",
        "order_type": "asc",
        "per_page": LIST_PAGE,
    }
    try:
        answer = http.request("GET", "/api/v2/tickets", params=params, retry=False)
    except (AuthError, BreakerOpenError):
        raise
    except HelpdeskError:
        return {}  # each is read on its own, as without the list
    tickets, _ = parse_tickets(answer.body)
    wanted = {change.ticket_id for change in changes}
    return {ticket.id: ticket for ticket in tickets if ticket.id in wanted}
