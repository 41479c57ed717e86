"""The helpdesk's recent tickets, read for a baseline: one reading a run, shared by whoever needs
one (the incident window, ``incidents.run_pass``; the first counts of the rising categories,
``topics.run_pass``).

``read_recent`` pages through the tickets changed since ``since`` (or from a saved cursor),
keeps those *created* since then (an imported ticket sits in Zendesk's export at the time of
its import, whatever its ``created_at``) and hands each page's to every taker, so no one holds
the whole window unless it wants to. A reading the helpdesk's limits cut short (Zendesk: 10
exports a minute), or that reached ``max_tickets``, says where it stopped: its taker saves the
cursor, and the next run reads on from there.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import TicketBotError
from ..models import Cursor, Helpdesk, Ticket

Take = Callable[[Sequence[Ticket]], None]


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed in log space (no overflow at large k): how
    unlikely ``k`` tickets are where a baseline expects ``mean`` (the incidents' and the rising
    categories' test)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_term = -mean  # log P(X = 0)
    below = 0.0
    for i in range(k):
        below += math.exp(log_term)
        log_term += math.log(mean) - math.log(i + 1)
    return max(0.0, 1.0 - below)


def day_of(stamp: str | None) -> str | None:
    """The UTC day (ISO) of an ISO time, or None."""
    seconds = moment(stamp)
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC).date().isoformat()


def moment(stamp: str | None) -> int | None:
    """An ISO time as Unix seconds (no zone: UTC), or None."""
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


@dataclass
class RecentReading:
    """How a reading went: tickets kept, pages read, whether it reached the end, and where it
    stopped when it did not."""

    tickets: int = 0
    pages: int = 0
    complete: bool = False
    cursor: Cursor | None = None
    error: str | None = None
    seconds: float = 0.0


def read_recent(
    helpdesk: Helpdesk,
    *,
    since: int,
    cursor: Cursor | None,
    takers: Sequence[Take],
    max_tickets: int | None = None,
    max_pages: int | None = None,
    max_seconds: float | None = None,
) -> RecentReading:
    """Read the tickets created since ``since`` (from ``cursor`` when one was saved), handing
    each page's to every taker; a helpdesk error ends the reading, which says so. A reading
    stops, its cursor kept, after ``max_tickets``, ``max_pages`` or ``max_seconds``: a run's
    first reading of a busy helpdesk takes its share and leaves the rest to the next run."""
    began = time.monotonic()
    reading = RecentReading(cursor=cursor)
    try:
        for page in helpdesk.ticket_pages(cursor, since=since):
            reading.pages += 1
            if page.next_cursor is not None:
                reading.cursor = page.next_cursor
            kept = [t for t in page.tickets if (moment(t.created_at) or -1) >= since]
            for take in takers:
                take(kept)
            reading.tickets += len(kept)
            paused = any(name == "discover_paused" for name, _ in page.notices)
            reading.complete = reading.complete or (page.last and not paused)
            if max_tickets is not None and reading.tickets >= max_tickets:
                break
            if max_pages is not None and reading.pages >= max_pages:
                break
            if max_seconds is not None and time.monotonic() - began >= max_seconds:
                break
    except TicketBotError as exc:
        reading.error = str(exc)
    reading.seconds = round(time.monotonic() - began, 3)
    return reading
