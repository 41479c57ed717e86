"""Which export cursor is safe to save: progress moves only past finished write-backs.

Pages arrive in order, each with the cursor that follows it. A page is settled when every
ticket taken from it is settled (written back, skipped, or failed and queued for a retry);
the cursor that may be saved is the one after the last page such that it and every earlier
page are settled. A page left part-way (``--limit``, ``--max-runtime``, an abort) or holding a
ticket that was taken but then abandoned (``--max-runtime`` passed before a worker reached it)
never settles, so the next run reads it again and the processed marker skips what was done.

Pure and thread-safe: workers settle tickets while the main thread opens pages.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from ..models import Cursor


@dataclass
class _Page:
    after_cursor: Cursor | None
    pending: set[int] = field(default_factory=set)
    closed: bool = False  # every ticket of the page has been handed out
    complete: bool = True  # False when the page was abandoned part-way


class Checkpoint:
    """Tracks pages and their unsettled tickets; ``safe_cursor`` is what may be saved."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: deque[_Page] = deque()
        self._by_ticket: dict[int, _Page] = {}
        self._safe: Cursor | None = None
        self._advanced = False

    def open_page(self, after_cursor: Cursor | None) -> None:
        with self._lock:
            self._pages.append(_Page(after_cursor))

    def take(self, ticket_id: int) -> None:
        """A ticket of the newest page is being worked on."""
        with self._lock:
            page = self._pages[-1]
            page.pending.add(ticket_id)
            self._by_ticket[ticket_id] = page

    def close_page(self, *, complete: bool = True) -> None:
        """Every ticket of the newest page was handed out (or, if not complete, never will be)."""
        with self._lock:
            page = self._pages[-1]
            page.closed = True
            page.complete = complete
            self._advance()

    def settle(self, ticket_id: int) -> None:
        with self._lock:
            page = self._by_ticket.pop(ticket_id, None)
            if page is not None:
                page.pending.discard(ticket_id)
                self._advance()

    def abandon(self, ticket_id: int) -> None:
        """A taken ticket will not be worked on in this run: its page must be read again."""
        with self._lock:
            page = self._by_ticket.pop(ticket_id, None)
            if page is not None:
                page.pending.discard(ticket_id)
                page.complete = False

    def _advance(self) -> None:
        while self._pages:
            page = self._pages[0]
            if not (page.closed and page.complete and not page.pending):
                return
            self._pages.popleft()
            if page.after_cursor is not None:
                self._safe = page.after_cursor
                self._advanced = True

    @property
    def safe_cursor(self) -> Cursor | None:
        """The newest cursor past only settled tickets, or None if it has not moved."""
        with self._lock:
            return self._safe if self._advanced else None

    @property
    def unsettled(self) -> int:
        with self._lock:
            return len(self._by_ticket)
