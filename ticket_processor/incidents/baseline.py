"""The incident pass's reading of its window from the helpdesk (``IncidentPass`` in
``run_pass.py`` calls it when the window it keeps is shorter than it needs): the tickets created
in the window, encoded a page at a time, and how far back the helpdesk's history goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..common.baseline import moment, read_recent
from ..common.eventlog import EventSink
from ..models import Cursor, Helpdesk, Ticket
from ..triage.prepare import prepare_ticket
from .book import IncidentBook
from .policy import IncidentPolicy
from .sightings import IncidentOutcome, RisingSeed
from .window import Row, Window

Encode = Callable[[list[str]], Any]


@dataclass(frozen=True)
class BaselineReading:
    """What a reading needs of the pass: where to read, its limits, where to say what it did."""

    helpdesk: Helpdesk
    policy: IncidentPolicy
    log: EventSink
    outcome: IncidentOutcome
    rising: RisingSeed | None
    now: int


def read_baseline(
    source: BaselineReading, window: Window, book: IncidentBook, start: int, encode: Encode
) -> None:
    """The window's tickets from the helpdesk (``common.baseline``). A reading the helpdesk's
    limits cut short resumes next run from its cursor, kept in the book; the window counts
    as whole once a reading reached the end. The rising categories' seed, when it wants a
    reading from where this one starts, takes its tickets from this one: one reading a run."""
    kept = 0
    now = source.now
    earliest: int | None = None

    def take(tickets: Sequence[Ticket]) -> None:
        # A page at a time, encoded together: the window holds its bytes, not the floats,
        # and the seed's local engine finds the page's vectors in the encoder's memo.
        # Every ticket of the reading tells how far back the helpdesk's history goes.
        nonlocal kept, earliest
        rows: list[Row] = []
        texts: list[str] = []
        for ticket in tickets:
            created = moment(ticket.created_at)
            if created is not None:
                earliest = created if earliest is None else min(earliest, created)
            if created is None or created < start:
                continue
            prepared = prepare_ticket(
                ticket.subject, ticket.description, max_tokens=2000, people=ticket.people
            )
            texts.append(f"{prepared.subject}\n{prepared.body}")
            requester = ticket.requester_id if ticket.requester_id else -ticket.id
            rows.append(
                Row(
                    ticket.id,
                    requester,
                    created,
                    "",
                    ticket.status not in ("solved", "closed"),
                )
            )
        if rows:
            window.add(rows, np.asarray(encode(texts), np.float32))
            kept += len(rows)

    saved = book.baseline_cursor
    cursor = Cursor(**saved) if saved else None
    # Back far enough to learn whether the helpdesk has the week that linking needs.
    since, takers = min(start, now - source.policy.history_read), [take]
    sharer = _sharer(source.rising, cursor)
    if sharer is not None:
        since = min(since, sharer[0])
        takers.append(sharer[1].take)
    reading = read_recent(
        source.helpdesk,
        since=since,
        cursor=cursor,
        takers=takers,
        max_pages=source.policy.history_pages,
        max_seconds=source.policy.history_seconds,
    )
    if earliest is not None or reading.complete:
        # What was read is the helpdesk's history so far; none at all: it starts now.
        found = [m for m in (earliest, book.history_from) if m is not None]
        book.history_from = min(found) if found else now
    if sharer is not None:
        sharer[1].finish(reading)
    if reading.error is not None:
        source.outcome.warnings.append(f"the incident baseline was not read whole: {reading.error}")
    if reading.complete:
        window.baseline_from = start
        book.baseline_cursor = None
    else:
        book.baseline_cursor = asdict(reading.cursor) if reading.cursor is not None else None
        source.outcome.warnings.append(
            "the incident baseline was read in part; the next run reads on from there"
        )
    source.outcome.baseline_tickets = kept
    source.outcome.baseline_pages = reading.pages
    source.log.emit(
        "incident_baseline",
        tickets=kept,
        pages=reading.pages,
        complete=reading.complete,
        seconds=reading.seconds,
        shared=sharer is not None,
    )


def _sharer(rising: RisingSeed | None, cursor: Cursor | None) -> tuple[int, RisingSeed] | None:
    """The rising seed, when it wants a reading from the same place as this one (both
    fresh, or both resuming from the cursor of the reading they shared)."""
    wanted = rising.wanted() if rising is not None else None
    if rising is None or wanted is None or wanted[1] != cursor:
        return None
    return wanted[0], rising
