"""The overview's spam gate: what it set aside in the overview's window, and which tickets.

Read from the audit store with the overview's other figures: each ticket's triage decisions
written in the window (not a dry or shadow run's, which tagged nothing) whose tags carry a
verdict (``<prefix><kind>`` gated, ``<prefix>suggested_spam`` suggested), and its reply
decisions written that took a gated verdict's tag away (lifted: the requester wrote as a
customer), the ticket's latest verdict counting once, as ``ticketbot report`` counts them. A
spam verdict is rare, so the rows read are few: only those whose tags' text (a reply's: its
event's) names a verdict's tag (a ``LIKE`` on the JSON column, the same on SQLite and
PostgreSQL), at most ``MAX_ROWS``. Each ticket links to its page here, read-only like the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..audit.schema import decisions
from ..models import SPAM_KINDS, sanitise_tag

# Decisions read at most: a day's spam on a busy helpdesk is a few hundred.
MAX_ROWS = 5_000
# Tickets linked per verdict on the overview; the rest are counted.
SHOWN = 10


@dataclass(frozen=True)
class SpamVerdictRow:
    verdict: str  # a kind (``phishing``...), ``suggested`` or ``lifted``
    tickets: list[int]  # newest first

    @property
    def shown(self) -> list[int]:
        return self.tickets[:SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.tickets) - SHOWN)


@dataclass(frozen=True)
class GateWork:
    rows: list[SpamVerdictRow] = field(default_factory=list)  # gated kinds, suggested, lifted

    @property
    def gated(self) -> int:
        return sum(len(r.tickets) for r in self.rows if r.verdict in SPAM_KINDS)

    @property
    def suggested(self) -> int:
        return sum(len(r.tickets) for r in self.rows if r.verdict == "suggested")

    @property
    def lifted(self) -> int:
        return sum(len(r.tickets) for r in self.rows if r.verdict == "lifted")


def _like(tag: str) -> str:
    escaped = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f'%"{escaped}"%'


def gate_work(conn: sa.Connection, account: str, *, since: datetime, prefix: str) -> GateWork:
    """The tickets the gate gated (by kind), suggested and saw lifted in decisions made since
    ``since``."""
    gated: dict[str, str] = {sanitise_tag(f"{prefix}{kind}"): kind for kind in SPAM_KINDS}
    verdicts = {**gated, sanitise_tag(f"{prefix}suggested_spam"): "suggested"}
    c = decisions.c
    tags_text, event_text = sa.cast(c.tags, sa.Text), sa.cast(c.event, sa.Text)
    rows = conn.execute(
        sa.select(c.ticket_id, c.kind, c.tags, c.event)
        .where(
            c.account == account,
            c.at >= since,
            c.mode.not_in(("dry-run", "shadow")),
            c.status == "written",
            sa.or_(
                sa.and_(
                    c.kind == "triage",
                    sa.or_(*(tags_text.like(_like(tag), escape="\\") for tag in verdicts)),
                ),
                sa.and_(
                    c.kind == "reply",
                    sa.or_(*(event_text.like(_like(tag), escape="\\") for tag in gated)),
                ),
            ),
        )
        .order_by(c.at.desc(), c.id.desc())
        .limit(MAX_ROWS)
    )
    latest: dict[int, str] = {}
    for ticket_id, kind, tags, event in rows:
        if ticket_id in latest:
            continue
        if kind == "reply":
            removed = event.get("tags_removed") if isinstance(event, dict) else None
            if isinstance(removed, list) and any(t in gated for t in removed):
                latest[int(ticket_id)] = "lifted"
            continue
        said = [verdicts[t] for t in tags if t in verdicts] if isinstance(tags, list) else []
        if said:
            # A gated kind over a suggestion, should a decision carry both.
            latest[int(ticket_id)] = min(said, key=lambda v: v == "suggested")
    order = [*SPAM_KINDS, "suggested", "lifted"]
    return GateWork(
        [
            SpamVerdictRow(verdict, [t for t, v in latest.items() if v == verdict])
            for verdict in order
            if verdict in latest.values()
        ]
    )
