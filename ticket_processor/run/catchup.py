"""``serve``'s catch-up: the tickets the helpdesk could not deliver while the server was down.

Zendesk does not deliver a webhook again when the connection is refused, so tickets created or
answered while ``serve`` was stopped (or killed) would wait for the next cron run. On start
(once ready, in the background) and then every ``EVERY`` seconds, ``CatchUp.run`` reads the
helpdesk's own incremental discovery from where the server last saw it — the run's
``discovery.Discovery`` over ``Helpdesk.ticket_pages`` (Zendesk's incremental export, Freshdesk's
``updated_since`` list), and ``Helpdesk.reply_pages`` for customers' replies — and hands the
tickets that need the server to the caller, which stores them in the delivery queue as
deliveries of their own: a ticket named by a webhook too is still triaged once (the queue keeps
one delivery per ticket and event waiting, the worker one ticket at a time, and the processed
marker and the trailer stop a second note). It reads and stores, nothing more: it writes
nothing to the helpdesk and holds no lock.

Where it resumes, all in ``<state dir>/serve``: the discovery cursor (``cursor.json``, as a run's
in its own state directory), the reply book's cursor (``replies.json``), and ``catch_up.json``:
the moment of the server's very first start and the moment the last complete pass began, where
discovery starts (``OVERLAP`` earlier, never before the first start) without a cursor or when
the helpdesk refuses the saved one. A cursor moves only after the tickets it passes are stored.

The very first start reads nothing from before it: it starts from now, not the cron run's
cursor. The tickets before the server existed are the cron run's (it is the catch-up that never
misses a ticket) or ``backfill``'s, and a server that took over the cron run's backlog at its
first start would triage it beside that run.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..errors import CursorRejectedError, StateFileRefused, TicketBotError
from ..models import Ticket
from ..state.replies import ReplyBook
from ..writeback.scope import CLOSED, choose
from .context import RunContext
from .discovery import Discovery
from .record import RunRecorder

Wanted = Literal["created", "reply"]
# Stores ``(ticket id, "created" | "reply")`` pairs as deliveries; how many were new.
Enqueue = Callable[[Sequence[tuple[int, Wanted]]], int]

CATCH_UP_FILE = "catch_up.json"
EVERY = 300.0  # seconds between passes while the server runs: one export or list request each
# A pass starts this long before the last one began: a ticket changed while that pass ran, or
# stamped a little behind our clock, is read again (and found done) rather than missed.
OVERLAP = 60.0


def mark_first_start(directory: Path, clock: Callable[[], float] = time.time) -> None:
    """The server's very first start, before it listens (a server killed while it loads has
    started all the same): nothing older is caught up. Kept once made."""
    path = directory / CATCH_UP_FILE
    if not path.exists():
        moment = _next_second(clock())
        _save(path, moment, moment)


def _next_second(moment: float) -> float:
    # The helpdesks stamp whole seconds: a ticket of this second may be older than the start.
    # One created after the start and before the next second reaches the listening server as
    # a webhook (the catch-up leaves it to the cron run, should that webhook fail).
    return float(math.floor(moment) + 1)


def _save(path: Path, first: float, since: float) -> None:
    atomic_write_bytes(path, orjson.dumps({"first": first, "since": since}))


class CatchUp:
    """One server's catch-up; ``run`` a pass at a time, from one thread."""

    def __init__(
        self,
        ctx: RunContext,
        record: RunRecorder,
        book: ReplyBook,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ctx = ctx
        self.record = record
        self.book = book  # the server's own: its cursor is the replies' mark
        self._clock = clock
        self.path = ctx.ledger.directory / CATCH_UP_FILE
        # The server's very first start (nothing older is read, overlap or not) and where the
        # last complete pass began.
        self.first, self.since = self._load()

    def _load(self) -> tuple[float, float]:
        """(first start, last complete pass); on the very first start, now for both (saved)."""
        try:
            found = orjson.loads(read_state_bytes(self.path))
            first, since = found["first"], found["since"]
            if all(_moment(v) for v in (first, since)):
                return float(first), float(since)
            reason = f"no times in it: {found!r}"[:200]
        except FileNotFoundError:
            reason = ""
        except (OSError, StateFileRefused, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            reason = f"unreadable: {exc}"
        if reason:  # said, and started again from now: the cron run still has the gap
            self.ctx.log.emit(
                "serve_catch_up_reset", level="warning", file=CATCH_UP_FILE, reason=reason
            )
        now = _next_second(self._clock())
        self._save(now, now)
        return now, now

    def _save(self, first: float, since: float) -> None:
        _save(self.path, first, since)

    def run(self, enqueue: Enqueue, should_stop: Callable[[], bool] = lambda: False) -> int:
        """One pass: store (``enqueue``) the tickets changed since the last that are not
        triaged yet, and those with a customer's reply to judge; how many were stored."""
        began = self._clock()
        start = max(self.first, self.since - OVERLAP)
        stored = 0
        complete = True
        try:
            stored += self._new_tickets(start, enqueue, should_stop)
            if self.ctx.options.retriage and not should_stop():
                stored += self._replies(start, enqueue, should_stop)
        except TicketBotError as exc:  # the helpdesk down: the next pass reads it again
            complete = False
            self.ctx.log.emit("serve_catch_up_failed", level="warning", error=str(exc))
        complete = complete and not should_stop()
        if complete:
            self.since = began
            with contextlib.suppress(OSError):  # the cursors hold; next time a longer pass
                self._save(self.first, began)
        self.ctx.log.emit(
            "serve_caught_up",
            stored=stored,
            complete=complete,
            since=datetime.fromtimestamp(start, UTC).isoformat(timespec="seconds"),
        )
        return stored

    def _new_tickets(self, start: float, enqueue: Enqueue, should_stop: Callable[[], bool]) -> int:
        ctx = self.ctx
        options = replace(
            ctx.options,
            since=datetime.fromtimestamp(start, UTC),
            query=None,
            ticket_ids=(),
            limit=None,
        )
        discovery = Discovery(replace(ctx, options=options), self.record, tell_older=False)
        kind = ctx.helpdesk.kind
        stored = 0
        for page in discovery.pages(()):
            wanted: list[tuple[int, Wanted]] = [
                (t.id, "created")
                for t in page.tickets
                if discovery.stream.first_sighting(t.id) and self._untriaged(t)
            ]
            if wanted:
                stored += enqueue(wanted)
            # Stored first, then the cursor moves past them.
            if page.next_cursor is not None:
                ctx.ledger.save_cursor(page.next_cursor, helpdesk=kind)
            if should_stop():
                break
        return stored

    def _untriaged(self, ticket: Ticket) -> bool:
        opts = self.ctx.options
        return choose(ticket, scope=opts.scope, prefix=opts.prefix) == "take"

    def _replies(self, start: float, enqueue: Enqueue, should_stop: Callable[[], bool]) -> int:
        ctx = self.ctx
        book = self.book
        stored = 0
        try:
            pages = ctx.helpdesk.reply_pages(
                book.cursor, since=int(start), prefix=ctx.options.prefix, written=book.written
            )
            for page in pages:
                wanted: list[tuple[int, Wanted]] = [
                    (c.ticket.id, "reply")
                    for c in page.conversations
                    if c.ticket.status not in CLOSED and ctx.options.scope.admits(c.ticket)
                ]
                if wanted:
                    stored += enqueue(wanted)
                if page.next_cursor is not None:
                    book.move_cursor(page.next_cursor)
                    book.save()
                if should_stop():
                    break
        except CursorRejectedError as exc:
            ctx.log.emit("reply_cursor_discarded", level="warning", reason=str(exc))
            book.discard_cursor()
            book.save()
        return stored


def _moment(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
