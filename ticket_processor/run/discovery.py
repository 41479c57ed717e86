"""Where a run's tickets come from, and which of them it takes.

``Discovery`` streams a run's pages: the tickets named with ``--ticket``, else the retry queue's
tickets first, then the helpdesk's pages from the run's cursor in the ledger (one page at a
time, through the shared ``common.ticket_stream.TicketStream``: the backlog is never held). A
cursor the helpdesk refuses is discarded, said, and discovery starts again from ``--since``. It
also decides, ticket by ticket, whether one is wanted (seen once a run, then ``scope.choose``)
and whether a page shows the run has caught up with its own write-backs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from ..common.ticket_stream import TicketStream, holds_updates_since
from ..errors import CursorRejectedError, TicketBotError
from ..models import Ticket, TicketPage
from .context import RunContext
from .record import RunRecorder
from .scope import in_shard


class Discovery:
    """A run's pages and its choice of tickets; build one per run."""

    def __init__(self, ctx: RunContext, record: RunRecorder, *, tell_older: bool = True) -> None:
        self.ctx = ctx
        self.record = record
        # A first reading says what its window leaves behind (a first run); ``serve``'s
        # catch-up, which starts from the server's first start on purpose, does not.
        self.tell_older = tell_older
        self.stream = self._stream()

    def _stream(self) -> TicketStream:
        opts = self.ctx.options
        since = opts.since or (self.ctx.runtime.now() - timedelta(hours=24))
        return TicketStream(
            self.ctx.helpdesk,
            since=int(since.timestamp()),
            query=opts.query,
            on_rejected=self._refused,
        )

    def pages(self, retry: Iterable[int]) -> Iterator[TicketPage]:
        ctx, opts = self.ctx, self.ctx.options
        self.stream = self._stream()  # ``since`` counts back from when the reading starts
        retried = sorted(retry)
        if opts.ticket_ids:
            yield TicketPage(ctx.helpdesk.tickets(list(opts.ticket_ids)), None)
            return
        if retried and not opts.query:
            yield TicketPage(ctx.helpdesk.tickets(retried), None)
        cursor = None
        if not opts.query:
            cursor = ctx.ledger.load_cursor(ctx.helpdesk.kind, stream=ctx.stream)
        yield from self.stream.pages(cursor)
        if cursor is None and not opts.query and ctx.stream == "run" and self.tell_older:
            # After the pages, so credentials the export refused are not tried once more.
            self._tell_older()

    def _tell_older(self) -> None:
        """On a first run (no cursor yet): how many open tickets its window leaves, and how to
        take them. One count request; a helpdesk that cannot say leaves the run as it was."""
        began = datetime.fromtimestamp(self.stream.since, UTC)
        try:
            older = self.ctx.helpdesk.count_open_before(self.stream.since)
        except TicketBotError as exc:
            self.ctx.log.emit("older_tickets_unknown", level="warning", error=str(exc))
            return
        if not older:
            return
        self.ctx.log.emit("older_tickets_left", tickets=older, since=began.isoformat())
        self.record.warn(
            f"this first run reads the tickets changed since {began:%Y-%m-%d %H:%M} UTC; "
            f"{older} open ticket(s) last changed before then are left as they are: "
            "`ticketbot backfill --since DATE` (e.g. --since 90d) triages them"
        )

    def _refused(self, exc: CursorRejectedError) -> None:
        began = datetime.fromtimestamp(self.stream.since, UTC)
        self.ctx.log.emit("cursor_discarded", reason=f"{exc}; starting again from {began}")
        self.record.warn(f"the saved cursor was refused and discarded: {exc}")
        self.ctx.ledger.discard_cursor(stream=self.ctx.stream)

    def wanted(self, ticket: Ticket, should_skip: Callable[[Ticket], bool]) -> bool:
        """Seen once per run, in this shard, and not done already."""
        if not in_shard(ticket.id, self.ctx.options.shard):
            return False  # another shard's: not even seen here
        if not self.stream.first_sighting(ticket.id):
            return False  # reappeared in the export (updated meanwhile): handled once
        self.record.seen()
        return not should_skip(ticket)

    def at_limit(self, taken: int) -> bool:
        return self.ctx.options.limit is not None and taken >= self.ctx.options.limit

    def caught_up(self, page: TicketPage, started_at: datetime) -> bool:
        """The page holds a ticket updated since the run began (said): the run's own writes."""
        if not holds_updates_since(page, started_at):
            return False
        self.ctx.log.emit(
            "discover_caught_up",
            reason="reached tickets updated since this run began; the next run continues from here",
        )
        return True
