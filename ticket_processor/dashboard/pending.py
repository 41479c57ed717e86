"""What the review queue reads from the audit store: the suggestions waiting for a lead (a field
ticketbot only suggested on a ticket's latest decision, not yet reviewed) and the answers it
drafted and did not send. SQLAlchemy Core, the same statements on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..audit.schema import decisions, reviews
from ..audit.values import WRITING_MODES
from .queries import COUNT_CAP, aware, latest_only, not_dry_run

# The per-field decision columns, as the store names them, and the values the review
# queue offers for each.
REVIEW_FIELDS = ("category", "subcategory", "urgency", "sentiment", "language")
_SUGGESTED = ("suggested", "suggest")


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
                at=aware(row["at"]),
            )
        )
    return out


def _waiting() -> list[sa.ColumnElement[bool]]:
    """A ticket's latest decision, written by a real run (``serve`` or a backfill's too), with
    a suggestion."""
    c = decisions.c
    return [
        c.decision == "suggested",
        c.status == "written",
        c.mode.in_(WRITING_MODES),
        latest_only(),
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
    # Only decisions with a field to accept: a change held back whole (below the confidence
    # threshold, an escalation only suggested) waits too, but in the ticket list, and must not
    # crowd the fields out of a page.
    # (A row of an uncalibrated engine has no per-field decisions at all: ``{}``.)
    with_field = sa.or_(
        *(c[f"{name}_decision"].in_(_SUGGESTED) for name in REVIEW_FIELDS),
        sa.cast(c.field_decisions, sa.Text).not_in(("{}", "null")),
    )
    statement = (
        sa.select(decisions)
        .where(c.account == account, *_waiting(), with_field)
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
            not_dry_run(),
            latest_only(),
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
            at=aware(row["at"]),
            answer=str(row["answer"] or ""),
        )
        for row in conn.execute(statement).mappings()
    ]


def pending_of(row: Mapping[str, Any], field_name: str) -> PendingSuggestion | None:
    """The suggestion of ``field_name`` on a decision row, if that field was suggested."""
    return next((s for s in _suggestions_of(row) if s.field == field_name), None)
