"""Where a run's tickets come from, and which of them it takes.

``Discovery`` streams a run's pages: the tickets named with ``--ticket``, else the retry queue's
tickets first, then the helpdesk's pages from the saved cursor (one page at a time: the backlog
is never held). A cursor the helpdesk refuses is discarded, said, and discovery starts again
from ``--since``. It also decides, ticket by ticket, whether one is wanted (seen once a run, not
done already) and whether a page shows the run has caught up with its own write-backs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

from ..helpdesks.protocol import CursorRejectedError, Helpdesk, TicketPage
from ..models import Ticket
from ..ops.logs import EventSink
from ..state.ledger import RunLedger
from .types import RunOptions, RunSummary


class Discovery:
    """A run's pages and its choice of tickets; build one per run."""

    def __init__(
        self,
        *,
        helpdesk: Helpdesk,
        ledger: RunLedger,
        options: RunOptions,
        log: EventSink,
        summary: RunSummary,
        now: Callable[[], datetime],
    ) -> None:
        self.helpdesk = helpdesk
        self.ledger = ledger
        self.options = options
        self.log = log
        self.summary = summary
        self.now = now
        # Ids taken this run: a ticket updated meanwhile reappears in the export. One int each,
        # so it is bounded by the tickets one run reads (ten export pages on Zendesk).
        self._seen: set[int] = set()

    def pages(self, retry: Iterable[int]) -> Iterator[TicketPage]:
        opts = self.options
        retried = sorted(retry)
        if opts.ticket_ids:
            yield TicketPage(self.helpdesk.tickets(list(opts.ticket_ids)), None)
            return
        if retried and not opts.query:
            yield TicketPage(self.helpdesk.tickets(retried), None)
        since = int((opts.since or (self.now() - timedelta(hours=24))).timestamp())
        cursor = None if opts.query else self.ledger.load_cursor(self.helpdesk.kind)
        try:
            yield from self.helpdesk.ticket_pages(cursor, since=since, query=opts.query)
        except CursorRejectedError as exc:
            self.log.emit(
                "cursor_discarded",
                reason=f"{exc}; starting again from {datetime.fromtimestamp(since, UTC)}",
            )
            self.summary.warnings.append(f"the saved cursor was refused and discarded: {exc}")
            self.ledger.discard_cursor()
            yield from self.helpdesk.ticket_pages(None, since=since)

    def wanted(self, ticket: Ticket, should_skip: Callable[[Ticket], bool]) -> bool:
        """Seen once per run, and not done already."""
        if ticket.id in self._seen:
            return False  # reappeared in the export (updated meanwhile): handled once
        self._seen.add(ticket.id)
        self.summary.tickets_seen += 1
        return not should_skip(ticket)

    def at_limit(self, taken: int) -> bool:
        return self.options.limit is not None and taken >= self.options.limit

    def caught_up(self, page: TicketPage, started_at: datetime) -> bool:
        """The page holds a ticket updated since the run began (said): the run's own writes."""
        if not any(_updated(t) >= started_at for t in page.tickets if t.updated_at):
            return False
        self.log.emit(
            "discover_caught_up",
            reason="reached tickets updated since this run began; the next run continues from here",
        )
        return True


def _updated(ticket: Ticket) -> datetime:
    try:
        moment = datetime.fromisoformat(ticket.updated_at or "")
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # unreadable: never a reason to stop
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
