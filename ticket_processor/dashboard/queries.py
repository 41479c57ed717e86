"""What the dashboard reads from the audit store: the ticket list and one ticket's history (the
review queue's reads are in ``pending``, the overview's figures in ``charts``). SQLAlchemy
Core over the store's tables (``audit.schema``), the same statements on SQLite and PostgreSQL.

The list is one row per ticket: its latest decision (a re-triage after a reply replaces the
first in the list; the ticket page shows both), dry runs left out (they wrote nothing). Each
filter is a column the store indexes with the time (``ix_decisions_*``), so a page is an index
walk newest first; the count stops at ``COUNT_CAP`` rows ("1,000+"), so a filter that matches
half a million rows costs no more than one that matches a thousand
(``python -m scripts.figures dashboard_list_timing`` measures it over a million decisions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.selectable import NamedFromClause

from ..audit.queries import TicketHistory
from ..audit.rows import ANSWER_OUTCOMES
from ..audit.schema import decisions, runs
from ..models import RISK_LEVELS, Urgency
from ..steps.shown import Shown, read_sections
from .filters import SORTS, ListQuery
from .sla_clocks import next_breach

COUNT_CAP = 1_000
# Urgency sorts by severity: low 0 up to critical 3.
SEVERITY = {urgency.value: rank for rank, urgency in enumerate(reversed(Urgency))}
RISK_RANK = {level: rank for rank, level in enumerate(RISK_LEVELS)}


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands times back naive: they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


@dataclass(frozen=True)
class TicketRow:
    """One row of the list: a ticket's latest decision."""

    id: int
    ticket_id: int
    helpdesk: str
    at: datetime | None
    run_id: str
    subject: str
    category: str | None
    urgency: str | None
    sentiment: str | None
    risk: str | None
    language: str | None
    engine: str | None
    confidence: float | None
    decision: str | None
    status: str
    mode: str
    corrected: bool
    reviewed: str | None
    answer_state: str | None
    fallback: bool
    # The SLA pass's last read: the earliest deadline waiting for an agent; a target at risk.
    breach_at: datetime | None = None
    at_risk: bool = False


@dataclass(frozen=True)
class TicketList:
    rows: list[TicketRow]
    total: int
    capped: bool  # more rows than COUNT_CAP match: ``total`` is the cap

    @property
    def shown_total(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"


def not_dry_run() -> sa.ColumnElement[bool]:
    return decisions.c.mode != "dry-run"


def latest_only() -> sa.ColumnElement[bool]:
    """No later decision (not a dry run's) for the same ticket of the same helpdesk."""
    newer = decisions.alias("newer")
    return ~sa.exists().where(
        newer.c.account == decisions.c.account,
        newer.c.helpdesk == decisions.c.helpdesk,
        newer.c.ticket_id == decisions.c.ticket_id,
        newer.c.mode != "dry-run",
        sa.or_(
            newer.c.at > decisions.c.at,
            sa.and_(newer.c.at == decisions.c.at, newer.c.id > decisions.c.id),
        ),
    )


def _triage_of_same_ticket(other: NamedFromClause) -> list[sa.ColumnElement[bool]]:
    return [
        other.c.account == decisions.c.account,
        other.c.helpdesk == decisions.c.helpdesk,
        other.c.ticket_id == decisions.c.ticket_id,
        other.c.mode != "dry-run",
        other.c.kind == "triage",
    ]


def current_triage() -> sa.ColumnElement[bool]:
    """The decision that stands for its ticket in the list: its latest triage (not a dry run's).
    A customer's reply is decided on its own (kind ``reply``: no subject, no category) and shows
    on the ticket's page as an event; only a ticket with no triage in the store (triaged before
    the store was kept) is listed by its latest reply decision."""
    newer = decisions.alias("newer_triage")
    triage = decisions.alias("any_triage")
    no_newer_triage = ~sa.exists().where(
        *_triage_of_same_ticket(newer),
        sa.or_(
            newer.c.at > decisions.c.at,
            sa.and_(newer.c.at == decisions.c.at, newer.c.id > decisions.c.id),
        ),
    )
    return sa.or_(
        sa.and_(decisions.c.kind == "triage", no_newer_triage),
        sa.and_(
            decisions.c.kind != "triage",
            ~sa.exists().where(*_triage_of_same_ticket(triage)),
            latest_only(),
        ),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(query: ListQuery, account: str) -> list[sa.ColumnElement[bool]]:
    c = decisions.c
    where: list[sa.ColumnElement[bool]] = [c.account == account, not_dry_run()]
    if query.q:
        if query.ticket_id is not None:
            where.append(c.ticket_id == query.ticket_id)
        else:
            where.append(c.subject.ilike(f"%{_escape_like(query.q)}%", escape="\\"))
            where.append(~c.subject.like("tbseal1:%"))  # encrypted: never matched by chance
    for name, column in (
        ("category", c.category),
        ("urgency", c.urgency),
        ("sentiment", c.sentiment),
        ("risk", c.risk),
        ("language", c.language),
        ("engine", c.engine),
        ("run", c.run_id),
    ):
        value = getattr(query, name)
        if value:
            where.append(column == value)
    if query.decision:
        where.append(c.decision == query.decision)
    if query.answered is not None:
        answered = c.answer_state.is_not(None)
        where.append(answered if query.answered else ~answered)
    if query.corrected is not None:
        where.append(c.corrected == query.corrected)
    if query.min_confidence is not None:
        where.append(c.confidence >= query.min_confidence)
    if query.max_confidence is not None:
        where.append(c.confidence <= query.max_confidence)
    start, end = query.window()
    if start is not None:
        where.append(c.at >= start)
    if end is not None:
        where.append(c.at < end)
    return where


def _row(r: Mapping[Any, Any]) -> TicketRow:
    return TicketRow(
        id=int(r["id"]),
        ticket_id=int(r["ticket_id"]),
        helpdesk=str(r["helpdesk"] or ""),
        at=aware(r["at"]),
        run_id=str(r["run_id"]),
        subject=str(r["subject"] or ""),
        category=r["category"],
        urgency=r["urgency"],
        sentiment=r["sentiment"],
        risk=r["risk"],
        language=r["language"],
        engine=r["engine"],
        confidence=r["confidence"],
        decision=r["decision"],
        status=str(r["status"]),
        mode=str(r["mode"]),
        corrected=bool(r["corrected"]),
        reviewed=r["reviewed"],
        answer_state=r["answer_state"],
        fallback=bool(r["fallback"]),
        breach_at=aware(r["breach_at"]),
        at_risk=bool(r["at_risk"]),
    )


_LIST_COLUMNS = (
    decisions.c.id,
    decisions.c.ticket_id,
    decisions.c.helpdesk,
    decisions.c.at,
    decisions.c.run_id,
    decisions.c.subject,
    decisions.c.category,
    decisions.c.urgency,
    decisions.c.sentiment,
    decisions.c.risk,
    decisions.c.language,
    decisions.c.engine,
    decisions.c.confidence,
    decisions.c.decision,
    decisions.c.status,
    decisions.c.mode,
    decisions.c.corrected,
    decisions.c.reviewed,
    decisions.c.answer_state,
    decisions.c.fallback,
)


def ticket_list(conn: sa.Connection, query: ListQuery, *, account: str = "") -> TicketList:
    """The page of the list ``query`` names, and how many tickets match (up to the cap)."""
    where = [*_conditions(query, account), current_triage()]
    clocks = next_breach(account)
    descending = query.order == "desc"
    if query.sort == "breach":  # the soonest deadline first; tickets with no clock last
        deadline = clocks.c.breach_at.desc() if descending else clocks.c.breach_at.asc()
        order = [sa.case((clocks.c.breach_at.is_(None), 1), else_=0), deadline]
        order += [decisions.c.at.desc(), decisions.c.id.desc()]
    else:
        order = _order(query.sort, descending)
    joined = decisions.outerjoin(
        clocks,
        sa.and_(
            clocks.c.helpdesk == decisions.c.helpdesk, clocks.c.ticket_id == decisions.c.ticket_id
        ),
    )
    page = (
        sa.select(*_LIST_COLUMNS, clocks.c.breach_at, clocks.c.at_risk)
        .select_from(joined)
        .where(*where)
        .order_by(*order)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    )
    rows = [_row(r) for r in conn.execute(page).mappings()]
    capped_rows = sa.select(decisions.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = int(conn.execute(sa.select(sa.func.count()).select_from(capped_rows)).scalar() or 0)
    return TicketList(rows, min(total, COUNT_CAP), total > COUNT_CAP)


def _order(sort: str, descending: bool) -> list[sa.ColumnElement[Any]]:
    column = decisions.c[SORTS[sort]]  # a whitelisted column, never the URL's text
    key: sa.ColumnElement[Any] = column
    if column is decisions.c.urgency:  # by severity, not by name; no urgency below low
        key = sa.case(SEVERITY, value=column, else_=-1)
    if column is decisions.c.risk:  # by level, not by name; unscored below low
        key = sa.case(RISK_RANK, value=column, else_=-1)
    keys = [key] if column is decisions.c.at else [key, decisions.c.at]
    keys.append(decisions.c.id)
    return [k.desc() if descending else k.asc() for k in keys]


def filter_values(conn: sa.Connection, *, account: str = "") -> dict[str, list[str]]:
    """The values each select of the filter form offers: those the store has seen (bounded)."""
    found: dict[str, list[str]] = {}
    for name in ("category", "urgency", "sentiment", "risk", "language", "engine"):
        column = decisions.c[name]
        statement = (
            sa.select(column)
            .where(decisions.c.account == account, column.is_not(None))
            .group_by(column)
            .order_by(column)
            .limit(200)
        )
        found[name] = [str(v) for v in conn.execute(statement).scalars()]
    recent = (
        sa.select(runs.c.run_id)
        .where(runs.c.account == account)
        .order_by(runs.c.started_at.desc())
        .limit(30)
    )
    found["run"] = [str(v) for v in conn.execute(recent).scalars()]
    return found


# -- one ticket -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened to a ticket, for its page's timeline."""

    at: datetime | None
    kind: str  # triage | reply | write | revert | correction | review
    title: str
    run_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketView:
    ticket_id: int
    helpdesk: str
    subject: str
    ticket_url: str | None
    # The header's decision: the latest triage (a re-triage after a reply names no subject or
    # category: it changes what the reply changed), with a later reply's escalation and risk.
    latest: dict[str, Any]
    entries: list[HistoryEntry]
    # What the customer's reply did to an automated answer: "resolved", "reopened" or None.
    answer_outcome: str | None = None
    # The ticket's newest decision, a reply's included: only it can be reviewed (``is_latest``).
    newest: dict[str, Any] = field(default_factory=dict)
    # What the steps made of the latest triage, in the steps' order (``steps.shown``).
    sections: list[Shown] = field(default_factory=list)


def _decision_title(d: Mapping[str, Any]) -> str:
    kind = "re-triage after a reply" if d["kind"] == "reply" else "first triage"
    mode = "" if d["mode"] == "normal" else f" ({d['mode']})"
    return f"{kind}{mode}"


def ticket_page(history: TicketHistory) -> TicketView | None:
    """The store's history of one ticket as one timeline, oldest first; None when the store
    has no decision for it."""
    found = [asdict(d) for d in history.decisions]
    if not found:
        return None
    entries = [
        HistoryEntry(aware(d["at"]), d["kind"], _decision_title(d), d["run_id"], d) for d in found
    ]
    for kind, rows in (
        ("write", history.writes),
        ("revert", history.reverts),
        ("correction", history.corrections),
        ("review", history.reviews),
    ):
        for row in rows:
            details = asdict(row)
            if kind == "correction" and details.get("source") == "review":
                continue  # the review's own entry says it
            entries.append(
                HistoryEntry(
                    aware(details["at"]),
                    kind,
                    _entry_title(kind, details),
                    details.get("run_id"),
                    details,
                )
            )
    entries.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC))
    real = [d for d in found if d["mode"] != "dry-run"] or found
    reverted = {r.reverted_run_id for r in history.reverts if r.ok and r.reverted_run_id}
    standing = [d for d in real if d["run_id"] not in reverted]
    # Every run that decided it reverted: the helpdesk holds none of it, nor does the header.
    real = standing or [_taken_back(real[-1])]
    triaged = [d for d in real if d["kind"] != "reply"]
    latest = dict(triaged[-1] if triaged else real[-1])
    for later in real[real.index(triaged[-1]) + 1 :] if triaged else ():
        latest["escalated"] = bool(latest.get("escalated") or later.get("escalated"))
        if later.get("risk"):
            latest["risk"], latest["risk_probability"] = later["risk"], later["risk_probability"]
    url = next((d["ticket_url"] for d in reversed(found) if d.get("ticket_url")), None)
    subject = next((d["subject"] for d in reversed(real) if d.get("subject")), "")
    outcomes = [w.kind for w in history.writes if w.kind in ANSWER_OUTCOMES and w.ok]
    return TicketView(
        history.ticket_id,
        str(latest.get("helpdesk") or ""),
        str(subject),
        url,
        latest,
        entries,
        outcomes[-1].removeprefix("answer_") if outcomes else None,
        real[-1],
        read_sections(latest.get("event")),
    )


def _taken_back(decision: Mapping[str, Any]) -> dict[str, Any]:
    """The header of a ticket whose every deciding run was reverted: what the run had set
    is not shown as the ticket's (the history below keeps it), and the header says so."""
    shown = dict(decision)
    for name in TAKEN_BACK:
        shown[name] = None
    shown["reverted_run"] = decision["run_id"]
    return shown


# What ``revert`` takes back, so the header stops showing it as the ticket's.
TAKEN_BACK = (
    "category",
    "subcategory",
    "urgency",
    "sentiment",
    "priority",
    "escalated",
    "decision",
)


def _entry_title(kind: str, row: Mapping[str, Any]) -> str:
    if kind == "write" and row.get("kind") == "answer_resolved":
        return "the customer's reply resolved the automated answer"
    if kind == "write" and row.get("kind") == "answer_cancelled":
        fields = row.get("fields")
        reason = fields.get("reason") if isinstance(fields, Mapping) else None
        reason = reason or "unknown"
        return f"the planned reply was cancelled, not sent: {reason}"
    if kind == "write" and row.get("kind") == "answer_reopened":
        return "the automated answer did not help: re-opened for the team"
    if kind == "write":
        outcome = "written" if row.get("ok") else "write failed"
        return f"{row.get('kind') or 'write'}: {outcome}"
    if kind == "revert":
        return f"reverted run {row.get('reverted_run_id')}" + ("" if row.get("ok") else " (failed)")
    if kind == "correction":
        return (
            f"{row.get('field')}: ticketbot said {row.get('ticketbot')}, "
            f"the agent {row.get('agent')}"
        )
    if kind == "review":
        verb = "accepted" if row.get("action") == "accept" else "corrected"
        return f"a lead ({row.get('reviewer')}) {verb} {row.get('field')} = {row.get('value')}" + (
            "" if row.get("written") else " (not written)"
        )
    return kind


def is_latest(conn: sa.Connection, row: Mapping[str, Any], *, account: str = "") -> bool:
    """No later decision (a re-triage, another run) replaced this one for its ticket."""
    statement = sa.select(decisions.c.id).where(
        decisions.c.id == row["id"], decisions.c.account == account, latest_only()
    )
    return conn.execute(statement).first() is not None
