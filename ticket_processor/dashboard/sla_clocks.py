"""What the dashboard shows of service levels: the clocks the SLA pass last read
(``audit.schema.sla_clocks``, written by the run from its own read, so a page view asks the
helpdesk nothing). A helpdesk's latest read is the rows with its newest ``at``: a ticket solved
since is in an older read, and shows no clock.

``next_breach``: per ticket, the earliest breach time of a clock still waiting for an agent
(running, or already missed: overdue first) and whether any target is at risk, for the list's
``breach`` sort and mark. ``ticket_clocks``: every clock of one ticket, for its page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ..audit.schema import sla_clocks

# Clocks still waiting for an agent: what a breach sort orders by.
WAITING = ("active", "breached")
METRIC_NAMES = {
    "first_reply": "first reply",
    "next_reply": "next reply",
    "periodic_update": "periodic update",
    "resolution": "resolution",
}


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands times back naive: they were stored in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _latest_read() -> sa.ColumnElement[bool]:
    newer = sla_clocks.alias("newer")
    newest = (
        sa.select(sa.func.max(newer.c.at))
        .where(newer.c.account == sla_clocks.c.account, newer.c.helpdesk == sla_clocks.c.helpdesk)
        .scalar_subquery()
    )
    return sla_clocks.c.at == newest


def next_breach(account: str) -> sa.Subquery:
    """helpdesk, ticket_id -> ``breach_at`` (the earliest waiting deadline) and ``at_risk``."""
    waiting = sla_clocks.c.stage.in_(WAITING)
    return (
        sa.select(
            sla_clocks.c.helpdesk,
            sla_clocks.c.ticket_id,
            sa.func.min(sa.case((waiting, sla_clocks.c.breach_at))).label("breach_at"),
            # max over 1 / 0: PostgreSQL has no max of booleans.
            sa.func.max(sa.case((sla_clocks.c.at_risk, 1), else_=0)).label("at_risk"),
        )
        .where(sla_clocks.c.account == account, _latest_read())
        .group_by(sla_clocks.c.helpdesk, sla_clocks.c.ticket_id)
        .subquery("next_breach")
    )


@dataclass(frozen=True)
class ShownClock:
    """One target of one ticket as its page shows it."""

    helpdesk: str
    metric: str
    stage: str
    breach_at: datetime | None
    business_hours: bool
    at_risk: bool
    probability: float | None
    queue_ahead: int | None
    read_at: datetime | None

    @property
    def target(self) -> str:
        return METRIC_NAMES.get(self.metric, self.metric)


def ticket_clocks(
    conn: sa.Connection, account: str, ticket_id: int, helpdesk: str | None = None
) -> list[ShownClock]:
    """The ticket's clocks in its helpdesk's latest read, the soonest deadline first."""
    statement = (
        sa.select(sla_clocks)
        .where(sla_clocks.c.account == account, sla_clocks.c.ticket_id == ticket_id, _latest_read())
        .order_by(sla_clocks.c.breach_at, sla_clocks.c.metric)
    )
    if helpdesk is not None:
        statement = statement.where(sla_clocks.c.helpdesk == helpdesk)
    return [
        ShownClock(
            helpdesk=str(row["helpdesk"]),
            metric=str(row["metric"]),
            stage=str(row["stage"]),
            breach_at=_aware(row["breach_at"]),
            business_hours=bool(row["business_hours"]),
            at_risk=bool(row["at_risk"]),
            probability=row["probability"],
            queue_ahead=row["queue_ahead"],
            read_at=_aware(row["at"]),
        )
        for row in conn.execute(statement).mappings()
    ]
