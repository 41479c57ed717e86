"""The escalation channels' pass: after the run's tickets are written, the pages of tickets
now solved or closed resolved, this run's escalations delivered, the daily summary.

It runs in the passes' ``write`` round, with the helpdesk still open (a page's ticket is read
for its status), never for a dry or shadow run: those write nothing, state included. Each
outcome is an ``alert`` event in the run's log (``condition`` names the channel).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..models import Helpdesk
from ..passes.protocol import Pass, RunEnd
from .channels import ChannelOutcome, Channels, Escalated, PagedIncident

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
        deliver(
            channels,
            self.escalated(),
            self.helpdesk,
            end.log,
            run_id=end.run_id,
            incidents=incidents,
        )


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
