"""What re-triage on customers' replies keeps between runs (``replies.json`` in the state dir).

Its own place in the helpdesk's stream (the reply discovery's cursor) and, per triaged ticket,
what the run needs to judge the next reply without reading anything more: the ``updated_at``
ticketbot's last write left (Freshdesk reads the conversation only of a ticket changed since),
the last reply judged, and the sentiment of each message so far (the trend the note shows).

The book is a help, never the authority: the notes' trailers say which reply a note answered,
so a lost or damaged file costs reads and a shorter trend, never a second note. It is bounded,
so a year of a busy helpdesk does not grow it (``python -m scripts.figures state_growth`` measures
it):

- a ticket seen solved or closed (by discovery or by the reply pass) is forgotten (``forget``):
  its conversation is over, and a reopened ticket is read again from its notes;
- a ticket whose only record is ticketbot's own write (``written``, no reply judged yet) is kept
  for ``WRITTEN_KEEP_DAYS`` and at most ``WRITTEN_MAX`` of them (the most recent): the stamp
  serves only the next reply passes, which move past the write within minutes (Freshdesk reads
  the conversation of a ticket changed since; Zendesk's event export does not need it);
- a ticket with a judged reply is kept until ``KEEP_DAYS`` untouched, at most ``MAX_TICKETS``.

In memory and on disk each ticket is one row (``shapes.ReplyRow``): a ``ReplyEntry`` per ticket
cost ~0.9 KB in memory, 45 MB over a 100,000-ticket backlog.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

from ..models import Cursor
from .ledger import RunLedger
from .shapes import CursorRecord, RepliesFile, ReplyEntry, ReplyRow

KEEP_DAYS = 90
MAX_TICKETS = 20_000
WRITTEN_KEEP_DAYS = 1
WRITTEN_MAX = 10_000
TREND_MAX = 20
_DAY = 86_400


def _row(entry: ReplyEntry) -> ReplyRow:
    return (entry.written, entry.answered, ",".join(entry.trend[-TREND_MAX:]), entry.seen)


class ReplyBook:
    """The replies file in memory; ``save`` writes it (atomically, as every state file)."""

    def __init__(
        self,
        ledger: RunLedger,
        helpdesk: str,
        *,
        stamps: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = ledger
        self._helpdesk = helpdesk
        self._stamps = stamps
        self._clock = clock
        self._lock = threading.Lock()
        found = ledger.replies()
        if found is not None and found.helpdesk not in (None, helpdesk):
            found = None  # another helpdesk's ids mean nothing here
        self._cursor = found.cursor if found is not None else None
        self._rows: dict[int, ReplyRow] = {}
        self._last_written: ReplyRow | None = None
        if found is not None:
            self._rows.update((int(k), _row(v)) for k, v in found.tickets.items())
            # Equal rows (the tickets of one write batch) are shared again as they were when
            # written: read apart, the last run's 10,000 written tickets cost the next ~2 MB.
            shared: dict[ReplyRow, ReplyRow] = {}
            self._rows.update((int(k), shared.setdefault(v, v)) for k, v in found.rows.items())

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
            row = self._rows.get(ticket_id)
        if row is None:
            return None
        written, answered, trend, seen = row
        return ReplyEntry(
            written=written, answered=answered, trend=trend.split(",") if trend else [], seen=seen
        )

    def written(self, ticket_id: int) -> str | None:
        """The ``updated_at`` ticketbot's last write left on the ticket, if known."""
        with self._lock:
            row = self._rows.get(ticket_id)
        return row[0] if row is not None else None

    def wrote(self, ticket_id: int, updated_at: str | None) -> None:
        """ticketbot wrote the ticket (a first triage or a reply's change). Without ``stamps``
        (a helpdesk whose reply discovery does not read them) a ticket with no reply judged
        gets no row: the book then holds only the conversations it judged."""
        with self._lock:
            if not self._stamps and ticket_id not in self._rows:
                return
            _, answered, trend, _ = self._rows.get(ticket_id) or (None, None, "", 0)
            row = (updated_at, answered, trend, int(self._clock()))
            # The tickets of one write batch are stamped alike: they share one row, so a run
            # over a backlog holds a dict entry a ticket, not a tuple, a string and an int.
            if row == self._last_written:
                row = self._last_written
            self._rows[ticket_id] = self._last_written = row

    def answered(
        self, ticket_id: int, reply_id: int, trend: Sequence[str], updated_at: str | None = None
    ) -> None:
        """A reply was judged: the trend so far, and where the ticket stood after any write."""
        with self._lock:
            written = self._rows.get(ticket_id, (None,))[0]
            self._rows[ticket_id] = (
                updated_at if updated_at is not None else written,
                reply_id,
                ",".join(list(trend)[-TREND_MAX:]),
                int(self._clock()),
            )

    def forget(self, ticket_ids: Iterable[int]) -> None:
        """Tickets seen solved or closed: nothing more to judge on them."""
        with self._lock:
            for ticket_id in ticket_ids:
                self._rows.pop(ticket_id, None)

    def __len__(self) -> int:
        return len(self._rows)

    # -- saving -----------------------------------------------------------------------

    def save(self) -> None:
        with self._lock:
            now = self._clock()
            judged, written = [], []
            for ticket_id, row in self._rows.items():
                if row[1] is None and not row[2]:
                    if row[3] >= now - WRITTEN_KEEP_DAYS * _DAY:
                        written.append((row[3], ticket_id))
                elif row[3] >= now - KEEP_DAYS * _DAY:
                    judged.append((row[3], ticket_id))
            kept = sorted(judged)[-MAX_TICKETS:] + sorted(written)[-WRITTEN_MAX:]
            self._rows = {ticket_id: self._rows[ticket_id] for _, ticket_id in sorted(kept)}
            # Built from rows this book made (and validated when read): not validated again,
            # which would copy every row.
            record = RepliesFile.model_construct(
                helpdesk=self._helpdesk,
                cursor=self._cursor,
                rows={str(k): v for k, v in self._rows.items()},
            )
        self._ledger.save_replies(record)
