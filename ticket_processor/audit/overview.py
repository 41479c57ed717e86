"""The audit store's overview: recent runs, decisions per hour by engine, the fallback and
failure rates, agents' agreement per field, the calibration curve, the answers' resolution.

Everything is this account's, in a time window; dry runs are left out (shadow runs are in,
counted by ``mode``). Read by the dashboard's overview; the list and a ticket's history are
``queries``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from .queries import aware, build
from .schema import corrections, decisions, runs


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
class AgreementFigure:
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
    per_hour: list[tuple[str, str, int]]  # ("2026-11-25 04", engine, triages; no replies)
    by_category: dict[str, int]
    by_decision: dict[str, int]
    by_mode: dict[str, int]
    last_runs: list[RunRow]
    agreement: list[AgreementFigure]
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


# -- runs and the overview --------------------------------------------------------------------


def recent_runs(conn: sa.Connection, account: str, *, limit: int = 20) -> list[RunRow]:
    """The last runs, newest first. A run with no end stored (killed, or still going) has no
    ``run_finished`` counts: its tickets are counted from its decisions, so a killed run shows
    every write it made (the next run records those it did not live to log), as ``report``
    counts it from its events."""
    statement = (
        sa.select(runs)
        .where(runs.c.account == account)
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(limit)
    )
    found = [build(RunRow, dict(row)) for row in conn.execute(statement).mappings()]
    open_runs = [run.run_id for run in found if run.finished_at is None]
    if not open_runs:
        return found
    counted = _decision_counts(conn, account, open_runs)
    shown = []
    for run in found:
        if run.run_id in counted:
            triaged, failed, fallback = counted[run.run_id]
            run = replace(run, triaged=triaged, failed=failed, fallback=fallback)
        shown.append(run)
    return shown


def _decision_counts(
    conn: sa.Connection, account: str, run_ids: list[str]
) -> dict[str, tuple[int, int, int]]:
    """Per run: its first triages decided (written, or a shadow or dry run's), failed, and
    fallen back; a customer's reply is not a ticket triaged."""
    c = decisions.c
    decided = sa.case((c.status.in_(("written", "shadow", "dry-run")), 1), else_=0)
    fallback = sa.case((c.fallback.is_(sa.true()) & (c.status != "failed"), 1), else_=0)
    statement = (
        sa.select(
            c.run_id,
            sa.func.sum(decided),
            sa.func.sum(sa.case((c.status == "failed", 1), else_=0)),
            sa.func.sum(fallback),
        )
        .where(c.account == account, c.run_id.in_(run_ids), c.kind != "reply")
        .group_by(c.run_id)
    )
    return {
        str(run_id): (int(t or 0), int(f or 0), int(b or 0))
        for run_id, t, f, b in conn.execute(statement)
    }


def _hour(conn: sa.Connection) -> sa.ColumnElement[str]:
    """The decision's hour as ``YYYY-MM-DD HH`` (UTC), in the database's own dialect."""
    if conn.dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", decisions.c.at), "YYYY-MM-DD HH24")
    return sa.func.substr(sa.cast(decisions.c.at, sa.String), 1, 13)


def overview(
    conn: sa.Connection, account: str, *, since: datetime, until: datetime | None = None
) -> Overview:
    c = decisions.c
    window = [c.account == account, c.at >= aware(since), c.mode != "dry-run"]
    if until is not None:
        window.append(c.at < aware(until))
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
    # Tickets per hour: each ticket's triage, not the re-triage of a customer's reply (an event
    # on the ticket's page, which a reply's decision without an engine showed as "unknown").
    per_hour = [
        (str(h), str(engine or ""), int(n))
        for h, engine, n in conn.execute(
            sa.select(hour, c.engine, sa.func.count())
            .where(*window, c.kind != "reply")
            .group_by(hour, c.engine)
            .order_by(hour, c.engine)
        )
    ]

    def counts(column: sa.ColumnElement[Any]) -> dict[str, int]:
        statement = sa.select(column, sa.func.count()).where(*window).group_by(column)
        return {str(k): int(n) for k, n in conn.execute(statement) if k is not None}

    return Overview(
        since=aware(since),
        until=aware(until) if until is not None else None,
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
) -> list[AgreementFigure]:
    k = corrections.c
    statement = (
        sa.select(
            k.field,
            sa.func.sum(sa.case((k.agreed.is_(sa.true()), 1), else_=0)),
            sa.func.count(),
        )
        .where(k.account == account, k.at >= aware(since), k.agreed.is_not(None))
        .group_by(k.field)
        .order_by(k.field)
    )
    if until is not None:
        statement = statement.where(k.at < aware(until))
    return [AgreementFigure(str(f), int(a or 0), int(n)) for f, a, n in conn.execute(statement)]


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
                k.at >= aware(since),
                conf.is_not(None),
            )
            .group_by(bucket)
            .order_by(bucket)
        )
        if until is not None:
            statement = statement.where(k.at < aware(until))
        for b, n, agreed in conn.execute(statement):
            low = min(int(b), _BINS - 1) / _BINS
            found.append(CalibrationBin(name, low, low + 1 / _BINS, int(n), int(agreed or 0)))
    return found
