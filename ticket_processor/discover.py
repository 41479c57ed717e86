"""Which tickets a run looks at: the incremental export from the saved cursor, or a search.

Normal path: Zendesk's cursor-based incremental ticket export, streamed a page at a time
(up to 1,000 full tickets, tags included), from the saved cursor or, on the first run, from
``--since``. An agent's token gets 403 there; then ticketbot says so and searches instead
(``type:ticket status<solved -tags:<prefix>processed``), as it does for ``--query``.

Two rules keep a run inside the export's own limit of 10 requests a minute, which Zendesk's
rate-limit headers do not announce:

- every ticket a run writes back moves to the end of the export, so without a stop a run
  would page through its own write-backs. After a page holding a ticket updated since the run
  began, the run stops reading: what follows is its own work or new tickets, which the next
  scheduled run takes from the saved cursor;
- a ``RequestWindow`` counts the export requests; when the next one would be the 11th within a
  minute the run waits if that is short (``EXPORT_MAX_WAIT``), else stops reading and leaves the
  rest to the next run, so it neither draws a 429 nor idles out the minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .errors import AuthError
from .models import Ticket
from .resilience import RequestWindow

SEARCH_PAGE = 100
EXPORT_PER_MINUTE = 10  # Zendesk's limit on the incremental export, per account
EXPORT_MAX_WAIT = 5.0  # seconds worth waiting for the export's next slot; longer: next run


class EventSink(Protocol):
    def emit(self, event: str, **fields: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class DiscoveredPage:
    tickets: list[Ticket]
    after_cursor: str | None
    malformed: list[dict[str, Any]] = field(default_factory=list)


def default_query(prefix: str) -> str:
    return f"type:ticket status<solved -tags:{prefix}processed"


class Discovery:
    """Yields pages of candidate tickets; remembers how to save the cursor it read from."""

    def __init__(
        self,
        client: Any,
        *,
        state: Any,
        prefix: str,
        since: datetime,
        query: str | None,
        log: EventSink,
        run_started: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = 1000,
    ) -> None:
        self.client = client
        self.state = state
        self.prefix = prefix
        self.since = since
        self.query = query
        self.log = log
        self.run_started = run_started
        self.mode = "search" if query else "incremental"
        self._start_time: int | None = None
        self._window = RequestWindow(EXPORT_PER_MINUTE, clock=clock)
        self._sleep = sleep
        self.page_size = page_size

    def pages(self) -> Iterator[DiscoveredPage]:
        if self.mode == "search":
            yield from self._search(self.query or default_query(self.prefix))
            return
        cursor = self.state.load_cursor()
        value = cursor.value if cursor is not None and cursor.kind == "incremental" else None
        self._start_time = (cursor.start_time if cursor is not None else None) or int(
            self.since.timestamp()
        )
        produced = False
        stream = self.client.incremental_tickets(
            start_time=None if value else self._start_time, cursor=value, per_page=self.page_size
        )
        try:
            while self._export_slot():
                page = next(stream, None)
                if page is None:
                    return
                produced = True
                yield DiscoveredPage(
                    list(page.tickets), page.after_cursor, list(getattr(page, "malformed", []))
                )
                if self._caught_up(page.tickets):
                    self.log.emit(
                        "discover_caught_up",
                        reason="reached tickets updated since this run began; "
                        "the next run continues from here",
                    )
                    return
        except AuthError as exc:
            if exc.status_code != 403 or produced:
                raise
            self.log.emit(
                "discover_fallback",
                reason="the incremental export needs an admin's token (403); using the Search API",
            )
            self.mode = "search"
            yield from self._search(default_query(self.prefix))

    def _export_slot(self) -> bool:
        """Record one export request if it fits the minute (waiting briefly); else False."""
        wait = self._window.wait_time()
        if wait > EXPORT_MAX_WAIT:
            self.log.emit(
                "discover_paused",
                reason=f"used Zendesk's {EXPORT_PER_MINUTE} incremental exports a minute; "
                "the next run continues from here",
            )
            return False
        if wait > 0:
            self._sleep(wait)
        self._window.record()
        return True

    def _caught_up(self, tickets: list[Ticket]) -> bool:
        if self.run_started is None:
            return False
        return any(_updated(t) >= self.run_started for t in tickets if t.updated_at)

    def _search(self, query: str) -> Iterator[DiscoveredPage]:
        for page in self.client.search_tickets(query, per_page=SEARCH_PAGE):
            yield DiscoveredPage(list(page.tickets), None, list(getattr(page, "malformed", [])))
            if getattr(page, "limit_reached", False):
                self.log.emit(
                    "discover_limit",
                    reason="search stops at 1,000 results; the next run continues",
                )

    def save_cursor(self, after_cursor: str, *, now: datetime) -> None:
        """Persist the export cursor (search mode has none: the query is its own progress)."""
        if self.mode != "incremental":
            return
        from .state import Cursor  # local: state is only needed when a cursor is saved

        self.state.save_cursor(
            Cursor(
                kind="incremental",
                value=after_cursor,
                start_time=self._start_time,
                updated_at=now.isoformat(),
            )
        )


def _updated(ticket: Ticket) -> datetime:
    try:
        moment = datetime.fromisoformat(ticket.updated_at or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # unreadable: never a reason to stop
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
