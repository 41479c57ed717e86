"""Which tickets a run looks at: the incremental export from the saved cursor, or a search.

Normal path: Zendesk's cursor-based incremental ticket export, streamed a page at a time
(up to 1,000 full tickets, tags included), from the saved cursor or, on the first run, from
``--since``. An agent's token gets 403 there; then ticketbot says so and searches instead
(``type:ticket status<solved -tags:<prefix>processed``), as it does for ``--query``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .errors import AuthError
from .models import Ticket

SEARCH_PAGE = 100


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
    ) -> None:
        self.client = client
        self.state = state
        self.prefix = prefix
        self.since = since
        self.query = query
        self.log = log
        self.mode = "search" if query else "incremental"
        self._start_time: int | None = None

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
        try:
            for page in self.client.incremental_tickets(
                start_time=None if value else self._start_time, cursor=value
            ):
                produced = True
                yield DiscoveredPage(
                    list(page.tickets), page.after_cursor, list(getattr(page, "malformed", []))
                )
        except AuthError as exc:
            if exc.status_code != 403 or produced:
                raise
            self.log.emit(
                "discover_fallback",
                reason="the incremental export needs an admin's token (403); using the Search API",
            )
            self.mode = "search"
            yield from self._search(default_query(self.prefix))

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
