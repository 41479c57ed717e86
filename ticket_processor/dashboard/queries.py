"""What the dashboard reads from the audit store: the ticket list, one ticket's history, the
overview's figures. SQLAlchemy Core over the store's tables (``audit.schema``), the same
statements on SQLite and PostgreSQL.

The list is one row per ticket: its latest decision (a re-triage after a reply replaces the
first in the list; the ticket page shows both), dry runs left out (they wrote nothing). Each
filter is a column the store indexes with the time (``ix_decisions_*``), so a page is an index
walk newest first; the count stops at ``COUNT_CAP`` rows ("1,000+"), so a filter that matches
half a million rows costs no more than one that matches a thousand
(``scripts/dashboard_list_timing.py`` measures it over a million decisions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ..audit.overview import Overview
from ..audit.queries import TicketHistory
from ..audit.schema import decisions, reviews, runs
from .filters import SORTS, ListQuery

COUNT_CAP = 1_000
# The overview's window: the last day, hour by hour.
OVERVIEW_HOURS = 24
CALIBRATION_BINS = 10
# The per-field decision columns, as the store names them, and the values the review
# queue offers for each.
REVIEW_FIELDS = ("category", "subcategory", "urgency", "sentiment", "language")
_SUGGESTED = ("suggested", "suggest")


def _aware(moment: datetime | None) -> datetime | None:
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


@dataclass(frozen=True)
class TicketList:
    rows: list[TicketRow]
    total: int
    capped: bool  # more rows than COUNT_CAP match: ``total`` is the cap

    @property
    def shown_total(self) -> str:
        return f"{self.total:,}+" if self.capped else f"{self.total:,}"


def _not_dry_run() -> sa.ColumnElement[bool]:
    return decisions.c.mode != "dry-run"


def _latest_only() -> sa.ColumnElement[bool]:
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


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(query: ListQuery, account: str) -> list[sa.ColumnElement[bool]]:
    c = decisions.c
    where: list[sa.ColumnElement[bool]] = [c.account == account, _not_dry_run()]
    if query.q:
        if query.q.lstrip("#").isdigit():
            where.append(c.ticket_id == int(query.q.lstrip("#")))
        else:
            where.append(c.subject.ilike(f"%{_escape_like(query.q)}%", escape="\\"))
    for name, column in (
        ("category", c.category),
        ("urgency", c.urgency),
        ("sentiment", c.sentiment),
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
        at=_aware(r["at"]),
        run_id=str(r["run_id"]),
        subject=str(r["subject"] or ""),
        category=r["category"],
        urgency=r["urgency"],
        sentiment=r["sentiment"],
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
    where = [*_conditions(query, account), _latest_only()]
    column = decisions.c[SORTS[query.sort]]  # a whitelisted column, never the URL's text
    keys = [column] if column is decisions.c.at else [column, decisions.c.at]
    keys.append(decisions.c.id)
    descending = query.order == "desc"
    order = [k.desc() if descending else k.asc() for k in keys]
    page = (
        sa.select(*_LIST_COLUMNS)
        .where(*where)
        .order_by(*order)
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    )
    rows = [_row(r) for r in conn.execute(page).mappings()]
    capped_rows = sa.select(decisions.c.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = int(conn.execute(sa.select(sa.func.count()).select_from(capped_rows)).scalar() or 0)
    return TicketList(rows, min(total, COUNT_CAP), total > COUNT_CAP)


def filter_values(conn: sa.Connection, *, account: str = "") -> dict[str, list[str]]:
    """The values each select of the filter form offers: those the store has seen (bounded)."""
    found: dict[str, list[str]] = {}
    for name in ("category", "urgency", "sentiment", "language", "engine"):
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
    latest: dict[str, Any]
    entries: list[HistoryEntry]


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
        HistoryEntry(_aware(d["at"]), d["kind"], _decision_title(d), d["run_id"], d) for d in found
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
                    _aware(details["at"]),
                    kind,
                    _entry_title(kind, details),
                    details.get("run_id"),
                    details,
                )
            )
    entries.sort(key=lambda e: e.at or datetime.min.replace(tzinfo=UTC))
    real = [d for d in found if d["mode"] != "dry-run"]
    latest = (real or found)[-1]
    url = next((d["ticket_url"] for d in reversed(found) if d.get("ticket_url")), None)
    return TicketView(
        history.ticket_id,
        str(latest.get("helpdesk") or ""),
        str(latest.get("subject") or ""),
        url,
        latest,
        entries,
    )


def _entry_title(kind: str, row: Mapping[str, Any]) -> str:
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


# -- the overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HourCounts:
    start: datetime
    by_engine: dict[str, int]
    failed: int = 0


@dataclass(frozen=True)
class CalibrationPoint:
    confidence: float  # the bin's middle
    right: float  # the share of the bin's checked values that stood
    count: int


def hours(overview: Overview, *, now: datetime) -> list[HourCounts]:
    """The store's per-hour counts as the last ``OVERVIEW_HOURS`` hours, empty ones included."""
    start = (now - timedelta(hours=OVERVIEW_HOURS - 1)).replace(minute=0, second=0, microsecond=0)
    slots = [HourCounts(start + timedelta(hours=i), {}) for i in range(OVERVIEW_HOURS)]
    for hour, engine, count in overview.per_hour:
        try:
            moment = datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=UTC)
        except ValueError:
            continue
        slot = int((moment - start).total_seconds() // 3600)
        if 0 <= slot < OVERVIEW_HOURS:
            name = engine or "unknown"
            slots[slot].by_engine[name] = slots[slot].by_engine.get(name, 0) + count
    return slots


def calibration_points(overview: Overview) -> list[CalibrationPoint]:
    """The calibration bins of every field pooled, one point a bin."""
    pooled: dict[float, list[int]] = {}
    for b in overview.calibration:
        entry = pooled.setdefault(round(b.low, 3), [0, 0])
        entry[0] += b.compared
        entry[1] += b.agreed
    return [
        CalibrationPoint(low + 0.5 / CALIBRATION_BINS, agreed / compared, compared)
        for low, (compared, agreed) in sorted(pooled.items())
        if compared
    ]


# -- the review queue -------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingSuggestion:
    """A field ticketbot only suggested on a ticket's latest decision, not yet reviewed."""

    decision_id: int
    ticket_id: int
    helpdesk: str
    subject: str
    field: str
    value: str
    confidence: float | None
    run_id: str
    at: datetime | None
    answer: str | None = None


def _field_decisions(row: Mapping[str, Any]) -> dict[str, str]:
    per_field = row.get("field_decisions")
    found = dict(per_field) if isinstance(per_field, Mapping) else {}
    for name in REVIEW_FIELDS:
        value = row.get(f"{name}_decision")
        if value:
            found[name] = value
    return {str(k): str(v) for k, v in found.items()}


def _suggestions_of(row: Mapping[str, Any]) -> list[PendingSuggestion]:
    confidence = row.get("field_confidence")
    out = []
    for name, fate in _field_decisions(row).items():
        value = row.get(name)
        if fate not in _SUGGESTED or name not in REVIEW_FIELDS or not value:
            continue
        score = confidence.get(name) if isinstance(confidence, Mapping) else None
        out.append(
            PendingSuggestion(
                decision_id=int(row["id"]),
                ticket_id=int(row["ticket_id"]),
                helpdesk=str(row["helpdesk"] or ""),
                subject=str(row["subject"] or ""),
                field=name,
                value=str(value),
                confidence=float(score) if isinstance(score, int | float) else None,
                run_id=str(row["run_id"]),
                at=_aware(row["at"]),
            )
        )
    return out


def _waiting() -> list[sa.ColumnElement[bool]]:
    """A ticket's latest decision, written by a real run (or ``serve``), with a suggestion."""
    c = decisions.c
    return [
        c.decision == "suggested",
        c.status == "written",
        c.mode.in_(("normal", "serve")),
        _latest_only(),
    ]


def waiting_count(conn: sa.Connection, *, account: str = "") -> int:
    """Tickets with a suggestion waiting for a lead (capped as the list's count is)."""
    capped = (
        sa.select(decisions.c.id)
        .where(decisions.c.account == account, decisions.c.reviewed.is_(None), *_waiting())
        .limit(COUNT_CAP)
        .subquery()
    )
    return int(conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar() or 0)


def review_queue(
    conn: sa.Connection, *, account: str = "", limit: int = 100, offset: int = 0
) -> list[PendingSuggestion]:
    """The suggestions waiting for a lead, newest ticket first, one entry per field, and the
    answers ticketbot drafted and did not send."""
    c = decisions.c
    found: list[PendingSuggestion] = []
    statement = (
        sa.select(decisions)
        .where(c.account == account, *_waiting())
        .order_by(c.at.desc(), c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(r) for r in conn.execute(statement).mappings()]
    done = reviewed_fields(conn, [int(r["id"]) for r in rows])
    for row in rows:
        found.extend(s for s in _suggestions_of(row) if s.field not in done.get(s.decision_id, ()))
    return found


def reviewed_fields(conn: sa.Connection, decision_ids: Sequence[int]) -> dict[int, set[str]]:
    """Per decision, the fields a lead reviewed already."""
    found: dict[int, set[str]] = {}
    if not decision_ids:
        return found
    statement = sa.select(reviews.c.decision_id, reviews.c.field).where(
        reviews.c.decision_id.in_(list(decision_ids))
    )
    for decision_id, name in conn.execute(statement).all():
        found.setdefault(int(decision_id), set()).add(str(name))
    return found


def drafted_answers(
    conn: sa.Connection, *, account: str = "", limit: int = 50
) -> list[PendingSuggestion]:
    """Answers ticketbot drafted (not sent) on tickets' latest decisions, not yet reviewed (a
    lead's verdict moves ``answer_state`` on: sent, refused, rejected)."""
    c = decisions.c
    statement = (
        sa.select(decisions)
        .where(
            c.account == account,
            c.answer_state == "drafted",
            _not_dry_run(),
            _latest_only(),
        )
        .order_by(c.at.desc(), c.id.desc())
        .limit(limit)
    )
    return [
        PendingSuggestion(
            decision_id=int(row["id"]),
            ticket_id=int(row["ticket_id"]),
            helpdesk=str(row["helpdesk"] or ""),
            subject=str(row["subject"] or ""),
            field="answer",
            value="",
            confidence=None,
            run_id=str(row["run_id"]),
            at=_aware(row["at"]),
            answer=str(row["answer"] or ""),
        )
        for row in conn.execute(statement).mappings()
    ]


def pending_of(row: Mapping[str, Any], field_name: str) -> PendingSuggestion | None:
    """The suggestion of ``field_name`` on a decision row, if that field was suggested."""
    return next((s for s in _suggestions_of(row) if s.field == field_name), None)


def is_latest(conn: sa.Connection, row: Mapping[str, Any], *, account: str = "") -> bool:
    """No later decision (a re-triage, another run) replaced this one for its ticket."""
    statement = sa.select(decisions.c.id).where(
        decisions.c.id == row["id"], decisions.c.account == account, _latest_only()
    )
    return conn.execute(statement).first() is not None
