"""Reading the audit store: the decisions list, one ticket's history (the figures: ``overview``).

The list (``list_decisions``) takes a ``DecisionQuery``: a ``DecisionFilter`` (every field None
means "any"), a sort column from ``SORTS``, a direction, and a page (``limit``, ``offset``). It
reads ``limit + 1`` rows to say whether there is a next page, and never counts the whole
table; ``count_decisions`` counts up to a cap (a page that says "more than 10,000" costs what
10,000 rows cost, not a million). Every filter the dashboard offers has an index that also
orders by time (``schema.decisions``), so a filtered page newest-first reads about as many
index entries as it shows.

Everything read is this account's: a shared PostgreSQL store holds many. Times come back as
aware UTC datetimes whatever the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import sqlalchemy as sa

from .schema import corrections, decisions, reverts, reviews, writes

# Columns the list can sort by (the dashboard's sortable headers).
SORTS: Final = ("at", "ticket_id", "category", "urgency", "engine", "confidence", "decision")
# Columns ``distinct_values`` answers for (the filters' choices).
FILTERABLE: Final = (
    "category",
    "subcategory",
    "urgency",
    "sentiment",
    "language",
    "engine",
    "model",
    "decision",
    "status",
    "mode",
    "helpdesk",
    "run_id",
)
MAX_PAGE = 500


@dataclass(frozen=True)
class Decision:
    """One row of ``decisions`` (docs/reference/audit-store.md says what each column holds)."""

    id: int
    account: str
    run_id: str
    ticket_id: int
    message_id: int
    at: datetime
    helpdesk: str
    mode: str
    kind: str
    status: str
    subject: str | None = None
    engine: str | None = None
    model: str | None = None
    fallback: bool = False
    category: str | None = None
    subcategory: str | None = None
    urgency: str | None = None
    sentiment: str | None = None
    language: str | None = None
    confidence: float | None = None
    category_confidence: float | None = None
    subcategory_confidence: float | None = None
    urgency_confidence: float | None = None
    sentiment_confidence: float | None = None
    language_confidence: float | None = None
    category_decision: str | None = None
    subcategory_decision: str | None = None
    urgency_decision: str | None = None
    sentiment_decision: str | None = None
    language_decision: str | None = None
    decision: str | None = None
    field_confidence: dict[str, float] | None = None
    field_decisions: dict[str, str] | None = None
    route: list[str] | None = None
    escalated: bool = False
    risk: str | None = None  # that the ticket ends badly: low | medium | high (``risk/``)
    risk_probability: float | None = None
    articles: list[Any] | None = None
    fields: dict[str, Any] | None = None
    answer: str | None = None
    answer_state: str | None = None
    tags: list[str] | None = None
    priority: str | None = None
    previous_priority: str | None = None
    group_id: int | None = None
    group_name: str | None = None
    note_id: str | None = None
    reply_id: str | None = None
    ticket_url: str | None = None
    error: str | None = None
    corrected: bool = False
    reviewed: str | None = None
    outcome: str | None = None
    event: dict[str, Any] | None = None


@dataclass(frozen=True)
class DecisionFilter:
    """What the list shows; None is "any". ``text`` matches the subject (case-insensitive,
    a substring); ``since`` <= at < ``until``; the confidence range is the overall one."""

    category: str | None = None
    subcategory: str | None = None
    urgency: str | None = None
    sentiment: str | None = None
    language: str | None = None
    engine: str | None = None
    model: str | None = None
    decision: str | None = None  # applied | suggested | abstained
    status: str | None = None  # planned | written | unchanged | failed | dry-run | shadow
    mode: str | None = None  # normal | shadow | dry-run | serve
    kind: str | None = None  # triage | reply
    helpdesk: str | None = None
    run_id: str | None = None
    ticket_id: int | None = None
    answered: bool | None = None  # an answer drafted or sent
    corrected: bool | None = None  # an agent changed a label since
    reviewed: bool | None = None  # a lead accepted or corrected it
    min_confidence: float | None = None
    max_confidence: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class DecisionQuery:
    where: DecisionFilter = field(default_factory=DecisionFilter)
    sort: str = "at"
    descending: bool = True
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class DecisionPage:
    rows: list[Decision]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class WriteRow:
    run_id: str
    ticket_id: int
    message_id: int
    at: datetime
    kind: str
    ok: bool
    tags_added: list[str] | None
    tags_removed: list[str] | None
    priority: str | None
    group_id: int | None
    fields: dict[str, Any] | None
    note: bool
    note_id: str | None
    reply_id: str | None
    error: str | None


@dataclass(frozen=True)
class RevertRow:
    run_id: str
    reverted_run_id: str
    ticket_id: int
    at: datetime
    ok: bool
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class CorrectionRow:
    ticket_id: int
    at: datetime
    run_id: str
    source: str
    field: str
    ticketbot: str | None
    agent: str | None
    agreed: bool | None


@dataclass(frozen=True)
class ReviewRow:
    id: int
    decision_id: int | None
    ticket_id: int
    at: datetime
    reviewer: str
    action: str
    field: str
    ticketbot: str | None
    value: str | None
    run_id: str | None
    written: bool


@dataclass(frozen=True)
class TicketHistory:
    """Everything the store knows of one ticket, each list oldest first."""

    ticket_id: int
    decisions: list[Decision]
    writes: list[WriteRow]
    reverts: list[RevertRow]
    corrections: list[CorrectionRow]
    reviews: list[ReviewRow]

    @property
    def found(self) -> bool:
        return bool(self.decisions or self.writes or self.reverts or self.corrections)


# -- the list -------------------------------------------------------------------------------


# A search word found in more subjects than this is common: the newest rows match it soon, so
# reading them newest first beats collecting every match from the index first.
DENSE_MATCHES: Final = 2_000
SEALED: Final = "tbseal1:%"  # how an encrypted subject starts (``common.sealed.PREFIX``)


def _text_match(conn: sa.Connection, text: str) -> sa.ColumnElement[bool]:
    """The subject contains ``text`` (any case).

    On SQLite with three characters or more (the trigram index's unit) and no LIKE wildcard
    (the index takes no ESCAPE), a rare text's rows come from ``decisions_text`` (a few
    thousand ids at most). A common one is tested as the list walks ``ix_decisions_subject``
    newest first, on the index alone, which meets a page of matches after a few pages."""
    pattern = f"%{_escape_like(text)}%"
    if conn.dialect.name == "sqlite" and len(text) >= 3 and not any(ch in text for ch in "%_\\"):
        # decisions_text: schema.TEXT_INDEX, made by the second migration.
        found = sa.text(
            "SELECT rowid FROM decisions_text WHERE subject LIKE :pattern "
            "AND subject NOT LIKE 'tbseal1:%' LIMIT :cap"
        ).bindparams(pattern=pattern, cap=DENSE_MATCHES + 1)
        ids = [int(row[0]) for row in conn.execute(found)]
        if len(ids) <= DENSE_MATCHES:
            return decisions.c.id.in_(ids)
    # An encrypted subject is never searched: its random letters would match by chance.
    return decisions.c.subject.ilike(pattern, escape="\\") & ~decisions.c.subject.like(SEALED)


def _conditions(
    conn: sa.Connection, account: str, where: DecisionFilter
) -> list[sa.ColumnElement[bool]]:
    c = decisions.c
    found: list[sa.ColumnElement[bool]] = [c.account == account]
    for name in (
        "category",
        "subcategory",
        "urgency",
        "sentiment",
        "language",
        "engine",
        "model",
        "decision",
        "status",
        "mode",
        "kind",
        "helpdesk",
        "run_id",
        "ticket_id",
    ):
        value = getattr(where, name)
        if value is not None:
            found.append(c[name] == value)
    if where.answered is not None:
        found.append(c.answer_state.is_not(None) if where.answered else c.answer_state.is_(None))
    if where.corrected is not None:
        found.append(c.corrected.is_(sa.true()) if where.corrected else c.corrected.is_(sa.false()))
    if where.reviewed is not None:
        found.append(c.reviewed.is_not(None) if where.reviewed else c.reviewed.is_(None))
    if where.min_confidence is not None:
        found.append(c.confidence >= where.min_confidence)
    if where.max_confidence is not None:
        found.append(c.confidence <= where.max_confidence)
    if where.since is not None:
        found.append(c.at >= aware(where.since))
    if where.until is not None:
        found.append(c.at < aware(where.until))
    if where.text:
        found.append(_text_match(conn, where.text))
    return found


def list_decisions(conn: sa.Connection, account: str, query: DecisionQuery) -> DecisionPage:
    if query.sort not in SORTS:
        raise ValueError(f"cannot sort by {query.sort!r}: one of {', '.join(SORTS)}")
    limit = max(1, min(query.limit, MAX_PAGE))
    offset = max(0, query.offset)
    column = decisions.c[query.sort]
    order = [column.desc() if query.descending else column.asc()]
    if query.sort != "at":
        order.append(decisions.c.at.desc() if query.descending else decisions.c.at.asc())
    order.append(decisions.c.id.desc() if query.descending else decisions.c.id.asc())
    statement = (
        sa.select(decisions)
        .where(*_conditions(conn, account, query.where))
        .order_by(*order)
        .limit(limit + 1)
        .offset(offset)
    )
    rows = [_decision(row) for row in conn.execute(statement).mappings()]
    return DecisionPage(rows[:limit], offset, limit, has_more=len(rows) > limit)


def count_decisions(
    conn: sa.Connection, account: str, where: DecisionFilter, *, cap: int = 10_000
) -> int:
    """How many decisions match, up to ``cap`` (cap + 1 means "more than cap")."""
    conditions = _conditions(conn, account, where)
    inner = sa.select(decisions.c.id).where(*conditions).limit(cap + 1).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())


def decision(conn: sa.Connection, account: str, decision_id: int) -> Decision | None:
    row = (
        conn.execute(
            sa.select(decisions).where(
                decisions.c.account == account, decisions.c.id == decision_id
            )
        )
        .mappings()
        .first()
    )
    return _decision(row) if row is not None else None


def distinct_values(conn: sa.Connection, account: str, column: str, *, limit: int) -> list[str]:
    if column not in FILTERABLE:
        raise ValueError(f"no choices for {column!r}: one of {', '.join(FILTERABLE)}")
    col = decisions.c[column]
    statement = (
        sa.select(col)
        .where(decisions.c.account == account, col.is_not(None))
        .group_by(col)
        .order_by(col)
        .limit(limit)
    )
    return [str(value) for value in conn.execute(statement).scalars()]


# -- one ticket -----------------------------------------------------------------------------


def ticket_history(
    conn: sa.Connection, account: str, ticket_id: int, *, helpdesk: str | None = None
) -> TicketHistory:
    d = (
        sa.select(decisions)
        .where(decisions.c.account == account, decisions.c.ticket_id == ticket_id)
        .order_by(decisions.c.at, decisions.c.id)
    )
    if helpdesk is not None:
        d = d.where(decisions.c.helpdesk == helpdesk)
    found = [_decision(row) for row in conn.execute(d).mappings()]

    def rows(table: sa.Table) -> list[dict[str, Any]]:
        statement = (
            sa.select(table)
            .where(table.c.account == account, table.c.ticket_id == ticket_id)
            .order_by(table.c.at, table.c.id)
        )
        return [dict(row) for row in conn.execute(statement).mappings()]

    return TicketHistory(
        ticket_id=ticket_id,
        decisions=found,
        writes=[build(WriteRow, row) for row in rows(writes)],
        reverts=[build(RevertRow, row) for row in rows(reverts)],
        corrections=[build(CorrectionRow, row) for row in rows(corrections)],
        reviews=[build(ReviewRow, row) for row in rows(reviews)],
    )


# -- rows -----------------------------------------------------------------------------------


def reverted_tickets(conn: sa.Connection, account: str, run_id: str) -> set[int]:
    """The tickets whose write-back of run ``run_id`` a ``ticketbot revert`` undid (its rows
    that succeeded)."""
    found = conn.execute(
        sa.select(reverts.c.ticket_id).where(
            reverts.c.account == account,
            reverts.c.reverted_run_id == run_id,
            reverts.c.ok.is_(True),
        )
    )
    return {int(row[0]) for row in found}


def aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _decision(row: Mapping[Any, Any]) -> Decision:
    return build(Decision, row)


_T = TypeVar("_T")


def build(kind: type[_T], row: Mapping[Any, Any]) -> _T:
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    values = {k: v for k, v in row.items() if k in names}
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = aware(value)
    return kind(**values)
