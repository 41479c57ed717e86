"""Where Freshdesk's ticket list goes on. Pure.

Pages are offsets into a list sorted by ``updated_at`` that moves while it is read: every ticket
written (by ticketbot or an agent) jumps to its end. ``next_query`` pages by ``updated_at``
instead (keyset paging), so no unread ticket is skipped and the cursor never passes one.
``updated_since`` is inclusive: the next run starts past the last second read (``resume_at``)
only once that second is over on Freshdesk's own clock, else it reads that second again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_PAGE = 300  # Freshdesk serves no list page past this one
# How long after the last ticket's second the list must have been answered (by the answer's
# ``Date``) for that second to be over: a second of its own, and one more for the query that
# ran before the answer was sent.
SECOND_OVER = timedelta(seconds=2)


def iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest(stamps: Iterable[str | None]) -> str | None:
    found = [s for s in stamps if s]
    return max(found, key=moment) if found else None


def earliest(a: str | None, b: str) -> str:
    return b if a is None or moment(b) <= moment(a) else a


def next_query(updated_since: str, page: int, top: str) -> tuple[str, int] | None:
    """Where the list goes on after a page whose latest ``updated_at`` is ``top``.

    Pages are offsets into a list that moves while we read it: every ticket written (by us or
    by an agent) jumps to its end, so ``page=N+1`` would skip as many unread tickets as were
    written since page N. So the next query starts again at ``page=1`` from ``top`` (keyset
    paging; the tickets of ``top``'s second are read twice, and the pipeline takes them once).
    Only a page wholly inside one second cannot move on that way: it takes the next page of
    the same query (``discovery`` reads all of that second's pages before giving the first, so
    the run's own writes cannot shift them), and the cursor stays at that second for the rest of
    the stream, in case another writer did (the next run reads it again; the marker skips done
    ones).
    """
    if moment(top) > moment(updated_since):
        return top, 1
    if page >= MAX_PAGE:
        return None  # more than 30,000 tickets in one second: the next run goes on
    return updated_since, page + 1


def answered_at(headers: Mapping[str, str]) -> datetime | None:
    """When Freshdesk answered, by its ``Date`` header (its clock, which stamps ``updated_at``);
    None without one."""
    stamp = headers.get("Date") or headers.get("date")
    if not stamp:
        return None
    try:
        when = parsedate_to_datetime(stamp)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def resume_at(top: str, answered: datetime | None) -> str:
    """Where the next run starts after the list's last page, whose latest ``updated_at`` is
    ``top``. ``updated_since`` is inclusive: from ``top`` itself, every later run with nothing
    new would read ``top``'s second again (the tickets the run wrote last, or a seed's or an
    import's whole second) and count them as skipped, run after run. That second needs reading
    again only while a write can still land in it: once the list was answered ``SECOND_OVER``
    after it, by Freshdesk's clock, the next run starts at the following second."""
    if answered is None or answered < moment(top) + SECOND_OVER:
        return top
    return iso(int(moment(top).timestamp()) + 1)
