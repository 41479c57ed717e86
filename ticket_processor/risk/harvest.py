"""Solved tickets and how they ended, from the helpdesk, for ``learn --from-helpdesk``'s risk
head: the solved and closed tickets changed since ``since`` (the shared ``TicketStream``, as the
label harvest reads them) and ``Helpdesk.outcomes`` (satisfaction ratings, reopen counts), with
the ticket's own escalation flag where the helpdesk has one. Rows are held in memory: a
subject and a description each, a few thousand tickets."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.ticket_stream import TicketStream
from ..errors import ConfigError
from ..models import Helpdesk, TicketOutcome
from .labelled import OutcomeRow

SOLVED = ("solved", "closed")
MAX_TEXT = 32_000


@dataclass
class OutcomeHarvest:
    rows: list[OutcomeRow]
    solved: int  # solved or closed tickets read
    rated: int  # of them, with a satisfaction rating (good or bad)


def harvest_outcomes(helpdesk: Helpdesk, since: int) -> OutcomeHarvest:
    """Every solved ticket since ``since`` with its outcome (a ticket the helpdesk says nothing
    of ended well: no bad rating, no reopen, no escalation)."""
    known = helpdesk.outcomes(since)
    rows: list[tuple[int, OutcomeRow]] = []
    rated = 0
    stream = TicketStream(helpdesk, since=since)
    for page in stream.pages(None):
        if any(name == "discover_fallback" for name, _ in page.notices):
            raise ConfigError(
                "learn --from-helpdesk reads Zendesk's incremental export, which needs an "
                "admin's API token (this one got 403)"
            )
        for ticket in page.tickets:
            if ticket.status not in SOLVED:
                continue
            outcome = known.get(ticket.id, TicketOutcome())
            rated += outcome.satisfaction in ("good", "bad")
            row = OutcomeRow(
                ticket.subject[:MAX_TEXT],
                ticket.description[:MAX_TEXT],
                outcome.satisfaction,
                outcome.reopens,
                outcome.escalated or ticket.helpdesk_escalated,
            )
            rows.append((ticket.id, row))
    # In the order the tickets were made, not the order a list gave them (ServiceNow's keyset
    # breaks ties in a second by a random sys_id): the seeded held-out split is then the same
    # on every read of the same tickets.
    rows.sort(key=lambda pair: pair[0])
    return OutcomeHarvest([row for _, row in rows], len(rows), rated)
