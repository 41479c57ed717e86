"""Where a run's tickets come from, and which of them it takes.

``Discovery`` streams a run's pages: the tickets named with ``--ticket``, else the retry queue's
tickets first, then the helpdesk's pages from the run's cursor in the ledger (one page at a
time, through the shared ``helpdesks.stream.TicketStream``: the backlog is never held). A cursor
the helpdesk refuses is discarded, said, and discovery starts again from ``--since``. It also
decides, ticket by ticket, whether one is wanted (seen once a run, then ``scope.choose``) and
whether a page shows the run has caught up with its own write-backs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from ..helpdesks.protocol import CursorRejectedError, TicketPage
from ..helpdesks.stream import TicketStream, holds_updates_since
from ..models import Ticket
from .context import RunContext
from .types import RunSummary


class Discovery:
    """A run's pages and its choice of tickets; build one per run."""

    def __init__(self, ctx: RunContext, summary: RunSummary) -> None:
        self.ctx = ctx
        self.summary = summary
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

    def _refused(self, exc: CursorRejectedError) -> None:
        began = datetime.fromtimestamp(self.stream.since, UTC)
        self.ctx.log.emit("cursor_discarded", reason=f"{exc}; starting again from {began}")
        self.summary.warnings.append(f"the saved cursor was refused and discarded: {exc}")
        self.ctx.ledger.discard_cursor(stream=self.ctx.stream)

    def wanted(self, ticket: Ticket, should_skip: Callable[[Ticket], bool]) -> bool:
        """Seen once per run, and not done already."""
        if not self.stream.first_sighting(ticket.id):
            return False  # reappeared in the export (updated meanwhile): handled once
        self.summary.tickets_seen += 1
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
