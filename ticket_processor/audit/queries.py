"""Reading the audit store: the decisions list, one ticket's history, the overview's figures.

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

from .schema import corrections, decisions, reverts, reviews, runs, writes

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
    """One row of ``decisions`` (docs/audit.md says what each column holds)."""

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


@dataclass(frozen=True)
class RunRow:
    run_id: str
    helpdesk: str
    mode: str
    started_at: datetime | None
    finished_at: datetime | None
    status: str | None
    exit_code: int | None
    tickets_seen: int
    triaged: int
    failed: int
    skipped: int
    fallback: int
    cost_usd: float
    engine: str | None


@dataclass(frozen=True)
class Agreement:
    field: str
    agreed: int
    compared: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


@dataclass(frozen=True)
class CalibrationBin:
    """Decisions of a field whose confidence was in [low, high), and how many of them the
    agents (or a lead) left as ticketbot set them."""

    field: str
    low: float
    high: float
    compared: int
    agreed: int


@dataclass(frozen=True)
class Overview:
    """The dashboard's overview for a time window (this account, real decisions: dry runs
    excluded; shadow runs included and counted by ``mode``)."""

    since: datetime
    until: datetime | None
    decisions: int
    fallback: int
    failed: int
    per_hour: list[tuple[str, str, int]]  # ("2026-11-25 04", engine, decisions)
    by_category: dict[str, int]
    by_decision: dict[str, int]
    by_mode: dict[str, int]
    last_runs: list[RunRow]
    agreement: list[Agreement]
    calibration: list[CalibrationBin]
    answers_drafted: int
    answers_sent: int
    answers_resolved: int  # sent, and the ticket then solved or closed

    @property
    def fallback_rate(self) -> float | None:
        return self.fallback / self.decisions if self.decisions else None

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.decisions if self.decisions else None

    @property
    def answer_resolution_rate(self) -> float | None:
        return self.answers_resolved / self.answers_sent if self.answers_sent else None


# -- the list -------------------------------------------------------------------------------


# A search word found in more subjects than this is common: the newest rows match it soon, so
# reading them newest first beats collecting every match from the index first.
DENSE_MATCHES: Final = 2_000


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
            "SELECT rowid FROM decisions_text WHERE subject LIKE :pattern LIMIT :cap"
        ).bindparams(pattern=pattern, cap=DENSE_MATCHES + 1)
        ids = [int(row[0]) for row in conn.execute(found)]
        if len(ids) <= DENSE_MATCHES:
            return decisions.c.id.in_(ids)
    return decisions.c.subject.ilike(pattern, escape="\\")


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
        found.append(c.at >= _aware(where.since))
    if where.until is not None:
        found.append(c.at < _aware(where.until))
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
        writes=[_build(WriteRow, row) for row in rows(writes)],
        reverts=[_build(RevertRow, row) for row in rows(reverts)],
        corrections=[_build(CorrectionRow, row) for row in rows(corrections)],
        reviews=[_build(ReviewRow, row) for row in rows(reviews)],
    )


# -- runs and the overview --------------------------------------------------------------------


def recent_runs(conn: sa.Connection, account: str, *, limit: int = 20) -> list[RunRow]:
    statement = (
        sa.select(runs)
        .where(runs.c.account == account)
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(limit)
    )
    return [_build(RunRow, dict(row)) for row in conn.execute(statement).mappings()]


def _hour(conn: sa.Connection) -> sa.ColumnElement[str]:
    """The decision's hour as ``YYYY-MM-DD HH`` (UTC), in the database's own dialect."""
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", decisions.c.at), "YYYY-MM-DD HH24")
    return sa.func.substr(sa.cast(decisions.c.at, sa.String), 1, 13)


def overview(
    conn: sa.Connection, account: str, *, since: datetime, until: datetime | None = None
) -> Overview:
    c = decisions.c
    window = [c.account == account, c.at >= _aware(since), c.mode != "dry-run"]
    if until is not None:
        window.append(c.at < _aware(until))
    totals = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((c.fallback.is_(sa.true()), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.status == "failed", 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.answer_state.is_not(None), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((c.answer_state == "sent", 1), else_=0)), 0),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(((c.answer_state == "sent") & c.outcome.is_not(None), 1), else_=0)
                ),
                0,
            ),
        ).where(*window)
    ).one()
    hour = _hour(conn).label("hour")
    per_hour = [
        (str(h), str(engine or ""), int(n))
        for h, engine, n in conn.execute(
            sa.select(hour, c.engine, sa.func.count())
            .where(*window)
            .group_by(hour, c.engine)
            .order_by(hour, c.engine)
        )
    ]

    def counts(column: sa.ColumnElement[Any]) -> dict[str, int]:
        statement = sa.select(column, sa.func.count()).where(*window).group_by(column)
        return {str(k): int(n) for k, n in conn.execute(statement) if k is not None}

    return Overview(
        since=_aware(since),
        until=_aware(until) if until is not None else None,
        decisions=int(totals[0]),
        fallback=int(totals[1]),
        failed=int(totals[2]),
        per_hour=per_hour,
        by_category=counts(c.category),
        by_decision=counts(c.decision),
        by_mode=counts(c.mode),
        last_runs=recent_runs(conn, account, limit=10),
        agreement=_agreement(conn, account, since, until),
        calibration=_calibration(conn, account, since, until),
        answers_drafted=int(totals[3]),
        answers_sent=int(totals[4]),
        answers_resolved=int(totals[5]),
    )


def _agreement(
    conn: sa.Connection, account: str, since: datetime, until: datetime | None
) -> list[Agreement]:
    k = corrections.c
    statement = (
        sa.select(
            k.field,
            sa.func.sum(sa.case((k.agreed.is_(sa.true()), 1), else_=0)),
            sa.func.count(),
        )
        .where(k.account == account, k.at >= _aware(since), k.agreed.is_not(None))
        .group_by(k.field)
        .order_by(k.field)
    )
    if until is not None:
        statement = statement.where(k.at < _aware(until))
    return [Agreement(str(f), int(a or 0), int(n)) for f, a, n in conn.execute(statement)]


_BINS: Final = 10


def _calibration(
    conn: sa.Connection, account: str, since: datetime, until: datetime | None
) -> list[CalibrationBin]:
    """Per field with a confidence column: compared corrections joined to the ticket's
    first-message triage, binned by that triage's confidence of the field."""
    k, d = corrections.c, decisions.c
    found: list[CalibrationBin] = []
    for name in ("category", "urgency", "sentiment", "language"):
        conf = d[f"{name}_confidence"]
        bucket = sa.cast(sa.func.floor(conf * _BINS), sa.Integer).label("bucket")
        statement = (
            sa.select(
                bucket,
                sa.func.count(),
                sa.func.sum(sa.case((k.agreed.is_(sa.true()), 1), else_=0)),
            )
            .select_from(
                corrections.join(
                    decisions,
                    (d.account == k.account)
                    & (d.ticket_id == k.ticket_id)
                    & (d.message_id == 0)
                    & (d.status == "written"),
                )
            )
            .where(
                k.account == account,
                k.field == name,
                k.agreed.is_not(None),
                k.at >= _aware(since),
                conf.is_not(None),
            )
            .group_by(bucket)
            .order_by(bucket)
        )
        if until is not None:
            statement = statement.where(k.at < _aware(until))
        for b, n, agreed in conn.execute(statement):
            low = min(int(b), _BINS - 1) / _BINS
            found.append(CalibrationBin(name, low, low + 1 / _BINS, int(n), int(agreed or 0)))
    return found


# -- rows -----------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _decision(row: Mapping[Any, Any]) -> Decision:
    return _build(Decision, row)


_T = TypeVar("_T")


def _build(kind: type[_T], row: Mapping[Any, Any]) -> _T:
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    values = {k: v for k, v in row.items() if k in names}
    for key, value in values.items():
        if isinstance(value, datetime):
            values[key] = _aware(value)
    return kind(**values)
