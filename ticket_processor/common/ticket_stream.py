"""How the core reads a helpdesk's stream of tickets: the one discovery loop.

``run``, ``backfill`` and ``learn --from-helpdesk`` all read ``Helpdesk.ticket_pages`` from a
cursor of their own (each kept in the ``RunLedger``), and all meet the same three events, so
``TicketStream`` meets them once:

- A cursor the helpdesk refuses (``CursorRejectedError``): the reader is told (it discards its
  saved cursor and says why) and the stream starts again from ``since``; a reader that is not
  told sees the error.
- The helpdesk's read window spent (a ``discover_paused`` notice): a reader that can wait is
  asked to (``wait_out_pause``; it says whether to go on) and the stream resumes after the last
  page it handed out; otherwise the page is handed out and ``paused`` says why the stream ended.
- A ticket listed twice (an export re-lists one updated meanwhile; Freshdesk re-reads the tickets
  of a page boundary's second): ``first_sighting`` is True once per ticket.

Which of the tickets a reader then takes is its own decision (``writeback.scope.choose`` for
triage).

It knows only the ``Helpdesk`` protocol and the error tree, no adapter: so it lives below the
adapters and engines, where ``run`` and ``learned``'s harvest (which may not know ``helpdesks``)
both reach it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from ..errors import CursorRejectedError
from ..models import Cursor, Helpdesk, Ticket, TicketPage
from .id_set import IdSet

PAUSED = "discover_paused"  # the adapter's notice: the read window is used up


class TicketStream:
    """One reader's pass over the helpdesk's pages; build one per pass."""

    def __init__(
        self,
        helpdesk: Helpdesk,
        *,
        since: int,
        query: str | None = None,
        seen: Iterable[int] = (),
        on_rejected: Callable[[CursorRejectedError], None] | None = None,
        wait_out_pause: Callable[[], bool] | None = None,
    ) -> None:
        self.helpdesk = helpdesk
        self.since = since  # Unix seconds: where a stream without a cursor starts
        self.query = query
        self.on_rejected = on_rejected
        self.wait_out_pause = wait_out_pause
        self.paused = False  # ended on a spent read window it did not wait out
        self.cursor: Cursor | None = None  # resumes after the last page handed out
        # Ticket ids met so far, ~16 bytes each (``IdSet``), bounded by the tickets one pass reads.
        self._seen = IdSet(seen)

    def pages(self, cursor: Cursor | None) -> Iterator[TicketPage]:
        """The pages from ``cursor`` (None: from ``since``) to the end of the stream."""
        self.cursor = cursor
        wait = self.wait_out_pause
        while True:
            waited = False
            for page in self._from(self.cursor):
                if is_paused(page):
                    if wait is None:
                        self.paused = True
                        yield page
                        return
                    waited = True
                    break
                yield page
                self.cursor = page.next_cursor or self.cursor
                del page  # the reader has it: not held here while the next is read
            if wait is None or not waited:
                return
            if not wait():
                self.paused = True
                return

    def _from(self, cursor: Cursor | None) -> Iterator[TicketPage]:
        try:
            yield from self.helpdesk.ticket_pages(cursor, since=self.since, query=self.query)
        except CursorRejectedError as exc:
            if self.on_rejected is None:
                raise
            self.on_rejected(exc)
            self.cursor = None
            yield from self.helpdesk.ticket_pages(None, since=self.since)

    def first_sighting(self, ticket_id: int) -> bool:
        """True the first time a ticket is met in this pass."""
        if ticket_id in self._seen:
            return False
        self._seen.add(ticket_id)
        return True


def is_paused(page: TicketPage) -> bool:
    return any(event == PAUSED for event, _ in page.notices)


def holds_updates_since(page: TicketPage, moment: datetime) -> bool:
    """The page holds a ticket updated at or after ``moment`` (a reader's own write-backs)."""
    return any(updated_at(t) >= moment for t in page.tickets if t.updated_at)


def updated_at(ticket: Ticket) -> datetime:
    try:
        moment = datetime.fromisoformat(ticket.updated_at or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # unreadable: never a reason to stop
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
