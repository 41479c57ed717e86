"""The run's hand-over to the escalation channels, after its tickets are written: the pages of
tickets now solved or closed resolved, this run's escalations delivered, the daily summary.

The run calls ``deliver`` once, with the helpdesk still open (a page's ticket is read for its
status), never for a dry or shadow run: those write nothing, state included. Each outcome is
an ``alert`` event in the run's log (``condition`` names the channel).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..models import Helpdesk
from .channels import ChannelOutcome, Channels, Escalated


def deliver(
    channels: Channels,
    escalated: Mapping[int, tuple[str, tuple[str, ...]]],
    helpdesk: Helpdesk,
    log: EventSink,
    *,
    run_id: str,
) -> list[ChannelOutcome]:
    """``escalated``: ticket id -> (its redacted subject, the routes that escalated it)."""
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
