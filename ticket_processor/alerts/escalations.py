"""The escalation channels' pass: after the run's tickets are written, the pages of tickets
now solved or closed resolved, this run's escalations delivered, the daily summary; and the
same delivery for ``serve`` after each batch it writes (``ServedEscalations``).

It runs in the passes' ``write`` round, with the helpdesk still open (a page's ticket is read
for its status), never for a dry or shadow run: those write nothing, state included. Each
outcome is an ``alert`` event in the run's log (``condition`` names the channel).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..models import Helpdesk
from ..passes.planner import ChangePlanner
from ..passes.protocol import Pass, RunEnd
from .channels import ChannelOutcome, Channels, Escalated, PagedIncident
from .escalation import EscalationWatch

Escalations = Mapping[int, tuple[str, tuple[str, ...]]]


class EscalationChannelsPass(Pass):
    """Hands the run's escalations to the channels (``channels``: built when the pass runs;
    ``escalated``: ticket id -> redacted subject and routes, ``escalation.escalated_tickets``)."""

    name = "escalation channels"

    def __init__(
        self,
        channels: Callable[[], Channels],
        escalated: Callable[[], Escalations],
        helpdesk: Helpdesk,
        incidents: Callable[[], Sequence[PagedIncident] | None] = lambda: None,
    ) -> None:
        self.channels, self.escalated, self.helpdesk = channels, escalated, helpdesk
        self.incidents = incidents

    def write(self, end: RunEnd) -> None:
        if not end.writes:
            return
        channels = self.channels()
        # The incidents' book is read only for PagerDuty, the one channel that pages them.
        incidents = self.incidents() if channels.pagerduty is not None else None
        outcomes = deliver(
            channels,
            self.escalated(),
            self.helpdesk,
            end.log,
            run_id=end.run_id,
            incidents=incidents,
        )
        # Said with the run's summary, not only in the log: a page that did not go out is
        # what the person reading the run's output needs to know.
        end.summary.warnings.extend(undelivered(outcomes))


class ServedEscalations:
    """The tickets ``serve`` escalated, delivered to the channels as a cron run's pass delivers
    its own (``deliver``, the same channels from the run's builder and the same memory in the
    state directory: a ticket the server paged is not paged again by the next run).
    ``watch``: the server's event log, which notes each escalation once it is written."""

    def __init__(
        self,
        channels: Channels,
        watch: EscalationWatch,
        planner: ChangePlanner,
        helpdesk: Helpdesk,
        *,
        run_id: str,
    ) -> None:
        self.channels, self.watch, self.planner = channels, watch, planner
        self.helpdesk, self.run_id = helpdesk, run_id

    def deliver_new(self) -> list[ChannelOutcome]:
        """Deliver the escalations written since the last call (none: nothing is read)."""
        new = self.watch.take_new()
        if not new or not self.channels.configured:
            return []
        escalated = {}
        for ticket_id, matched in sorted(new.items()):
            known = self.planner.escalation(ticket_id)
            escalated[ticket_id] = (known.subject, known.routes) if known else ("", matched)
        return deliver(self.channels, escalated, self.helpdesk, self.watch, run_id=self.run_id)


def deliver(
    channels: Channels,
    escalated: Escalations,
    helpdesk: Helpdesk,
    log: EventSink,
    *,
    run_id: str,
    incidents: Sequence[PagedIncident] | None = None,
) -> list[ChannelOutcome]:
    """``escalated``: ticket id -> (its redacted subject, the routes that escalated it);
    ``incidents``: the open incidents alerted so far (None: incidents are off, or their book
    could not be read, and their pages are left as they are)."""
    if not channels.configured:
        return []
    outcomes: list[ChannelOutcome] = []
    paged = channels.open_pages()
    if paged:
        try:
            now = helpdesk.tickets(paged)
        except TicketBotError as exc:
            # Unknown is not ended: the pages stay open until a run can read their tickets.
            log.emit("escalation_status_unread", level="warning", error=str(exc))
        else:
            outcomes += channels.resolve_ended({t.id: t.status for t in now})
    tickets = [
        Escalated(ticket_id, subject, routes, helpdesk.ticket_url(ticket_id))
        for ticket_id, (subject, routes) in sorted(escalated.items())
    ]
    outcomes += channels.escalated(tickets, run_id=run_id)
    if incidents is not None:
        outcomes += channels.incidents(incidents, run_id=run_id)
    summary = channels.daily_summary(ticket_url=helpdesk.ticket_url)
    if summary is not None:
        outcomes.append(summary)
    _log(log, outcomes)
    return outcomes


def undelivered(outcomes: Sequence[ChannelOutcome]) -> list[str]:
    """One warning per channel that failed, naming its tickets and why (no secret: the
    channels' failures never carry a key or a password)."""
    failed: dict[str, tuple[list[int], str]] = {}
    for outcome in outcomes:
        if outcome.outcome == "failed":
            tickets, _ = failed.get(outcome.channel, ([], ""))
            failed[outcome.channel] = ([*tickets, *outcome.tickets], outcome.detail or "")
    return [
        f"escalation channel {channel} not delivered"
        + (f" (tickets {', '.join(map(str, sorted(tickets)))})" if tickets else "")
        + (f": {detail}" if detail else "")
        + "; the next run tries again"
        for channel, (tickets, detail) in failed.items()
    ]


def _log(log: EventSink, outcomes: Sequence[ChannelOutcome]) -> None:
    for outcome in outcomes:
        log.emit(
            "alert",
            condition=f"escalated:{outcome.channel}",
            outcome=outcome.outcome,
            tickets=list(outcome.tickets),
            detail=outcome.detail,
            **({"level": "warning"} if outcome.outcome == "failed" else {}),
        )
