"""ServiceNow discovery: the table's records by ``sys_updated_on``, keyset-paged.

Each page is a new query from the last record read, ordered by ``sys_updated_on`` then
``sys_id``: ``sys_updated_on>T^NQsys_updated_on=T^sys_id>S`` (the records of a later second,
or of the same second with a later sys_id). Offsets would skip records: every record written
while the list is read (by ticketbot or an agent) leaves its place for the list's end. Records
sharing one second are never split or skipped by the cursor, since the sys_id orders them.

The cursor saved after a page is ``T|S``. After the list's last page the next run starts from
the whole of that last second (``T|``) unless the instance's clock (its answer's ``Date``) has
left it: a record written later in that second may have a smaller sys_id. Tickets read twice
that way are skipped by the marker. A saved position that is not ``T|S`` is refused
(``CursorRejectedError``). ``query`` is an encoded query of the table, read the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime

from ...errors import CursorRejectedError, HelpdeskError
from ...models import Cursor, TicketPage
from .records import glide, parse_records
from .wire import PAGE, TABLE_API, ServiceNowTransport, result_rows

CURSOR_KIND = "sys_updated_on"
SECOND_OVER = 2  # seconds after the last record's second the answer must be for it to be over

Tags = Callable[[list[str]], dict[str, tuple[str, ...]]]


def encode(stamp: str, sys_id: str) -> str:
    return f"{stamp}|{sys_id}"


def decode(value: str) -> tuple[str, str]:
    stamp, bar, sys_id = value.partition("|")
    try:
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise CursorRejectedError(f"the saved position {value!r} is not a time") from None
    if not bar or (sys_id and not all(c in "0123456789abcdef" for c in sys_id)):
        raise CursorRejectedError(f"the saved position {value!r} is not ServiceNow's")
    return stamp, sys_id


def after(stamp: str, sys_id: str, query: str | None = None) -> str:
    """The encoded query for the records after (``stamp``, ``sys_id``) in the list's order."""
    extra = f"^{query}" if query else ""
    if sys_id:
        terms = f"sys_updated_on>{stamp}{extra}^NQsys_updated_on={stamp}^sys_id>{sys_id}{extra}"
    else:
        terms = f"sys_updated_on>={stamp}{extra}"
    return f"{terms}^ORDERBYsys_updated_on^ORDERBYsys_id"


def ticket_pages(
    http: ServiceNowTransport,
    table: str,
    fields: str,
    tags: Tags,
    cursor: Cursor | None,
    *,
    since: int,
    query: str | None = None,
    custom: tuple[str, ...] = (),
) -> Iterator[TicketPage]:
    start = decode(cursor.value) if cursor and cursor.kind == CURSOR_KIND and cursor.value else None
    stamp, sys_id = start or (glide(since), "")
    first = True
    while True:
        params = {
            "sysparm_query": after(stamp, sys_id, query),
            "sysparm_fields": fields,
            "sysparm_limit": str(PAGE),
            "sysparm_display_value": "false",
            "sysparm_exclude_reference_link": "true",
            "sysparm_suppress_pagination_header": "true",
            "sysparm_no_count": "true",
        }
        try:
            answer = http.request("GET", f"{TABLE_API}/{table}", params=params)
        except HelpdeskError as exc:
            if first and exc.status_code == 400 and start is not None:
                raise CursorRejectedError(f"ServiceNow refused the saved position ({exc})") from exc
            raise
        first = False
        rows = result_rows(answer.body)
        labels = tags([str(r.get("sys_id")) for r in rows if r.get("sys_id")])
        tickets, malformed = parse_records(table, rows, labels, custom)
        last = len(rows) < PAGE
        if rows:
            top = rows[-1]
            stamp, sys_id = str(top.get("sys_updated_on") or stamp), str(top.get("sys_id") or "")
        resume = sys_id
        if last and not _second_over(stamp, answer.headers.get("Date")):
            resume = ""
        yield TicketPage(tickets, Cursor(CURSOR_KIND, encode(stamp, resume)), malformed, last=last)
        if last:
            return


def _second_over(stamp: str, date: str | None) -> bool:
    """Whether the instance answered (``Date``) ``SECOND_OVER`` after ``stamp``'s second."""
    if not date:
        return False
    try:
        answered = parsedate_to_datetime(date).timestamp()
        moment = datetime.strptime(stamp + "+0000", "%Y-%m-%d %H:%M:%S%z").timestamp()
    except (TypeError, ValueError):
        return False
    return answered >= moment + SECOND_OVER
