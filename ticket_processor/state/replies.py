"""What re-triage on customers' replies keeps between runs (``replies.json`` in the state dir).

Its own place in the helpdesk's stream (the reply discovery's cursor) and, per triaged ticket,
what the run needs to judge the next reply without reading anything more: the ``updated_at``
ticketbot's last write left (Freshdesk reads the conversation only of a ticket changed since),
the last reply judged, and the sentiment of each message so far (the trend the note shows).

The book is a help, never the authority: the notes' trailers say which reply a note answered,
so a lost or damaged file costs reads and a shorter trend, never a second note. It is bounded:
tickets not touched for ``KEEP_DAYS`` are dropped, and at most ``MAX_TICKETS`` are kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ..models import Cursor
from .ledger import RunLedger
from .shapes import CursorRecord, RepliesFile, ReplyEntry

KEEP_DAYS = 90
MAX_TICKETS = 50_000
TREND_MAX = 20


class ReplyBook:
    """The replies file in memory; ``save`` writes it (atomically, as every state file)."""

    def __init__(
        self, ledger: RunLedger, helpdesk: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._ledger = ledger
        self._helpdesk = helpdesk
        self._clock = clock
        self._lock = threading.Lock()
        found = ledger.replies()
        if found is not None and found.helpdesk not in (None, helpdesk):
            found = None  # another helpdesk's ids mean nothing here
        self._cursor = found.cursor if found is not None else None
        self._tickets: dict[int, ReplyEntry] = (
            {int(k): v for k, v in found.tickets.items()} if found is not None else {}
        )

    # -- the cursor -------------------------------------------------------------------

    @property
    def cursor(self) -> Cursor | None:
        saved = self._cursor
        return Cursor(saved.kind, saved.value, saved.start_time) if saved is not None else None

    def move_cursor(self, cursor: Cursor) -> None:
        with self._lock:
            self._cursor = CursorRecord(
                kind=cursor.kind, value=cursor.value, start_time=cursor.start_time
            )

    def discard_cursor(self) -> None:
        with self._lock:
            self._cursor = None

    # -- per ticket -------------------------------------------------------------------

    def entry(self, ticket_id: int) -> ReplyEntry | None:
        with self._lock:
            return self._tickets.get(ticket_id)

    def written(self, ticket_id: int) -> str | None:
        """The ``updated_at`` ticketbot's last write left on the ticket, if known."""
        entry = self.entry(ticket_id)
        return entry.written if entry is not None else None

    def wrote(self, ticket_id: int, updated_at: str | None) -> None:
        """ticketbot wrote the ticket (a first triage or a reply's change)."""
        self._update(ticket_id, written=updated_at)

    def answered(
        self, ticket_id: int, reply_id: int, trend: Sequence[str], updated_at: str | None = None
    ) -> None:
        """A reply was judged: the trend so far, and where the ticket stood after any write."""
        changes: dict[str, object] = {"answered": reply_id, "trend": list(trend)[-TREND_MAX:]}
        if updated_at is not None:
            changes["written"] = updated_at
        self._update(ticket_id, **changes)

    def _update(self, ticket_id: int, **changes: object) -> None:
        with self._lock:
            entry = self._tickets.get(ticket_id) or ReplyEntry()
            self._tickets[ticket_id] = entry.model_copy(
                update={**changes, "seen": int(self._clock())}
            )

    # -- saving -----------------------------------------------------------------------

    def save(self) -> None:
        with self._lock:
            horizon = self._clock() - KEEP_DAYS * 86_400
            kept = sorted(
                ((k, v) for k, v in self._tickets.items() if v.seen >= horizon),
                key=lambda item: item[1].seen,
            )[-MAX_TICKETS:]
            self._tickets = dict(kept)
            record = RepliesFile(
                helpdesk=self._helpdesk,
                cursor=self._cursor,
                tickets={str(k): v for k, v in kept},
            )
        self._ledger.save_replies(record)
