"""The review queue's decisions: which suggestion a lead accepted or corrected, written through
the run's review path and recorded in the store.

``ReviewDesk.apply_all`` takes the form's requests one at a time: the decision must still be
the ticket's latest, the field still suggested and not reviewed, a corrected value one the
field may take (the taxonomy, the enums); then the ``Reviewer`` (``run.review.ReviewWriter``:
lock, fresh read, the one planner, the helpdesk's journalled write) writes it, and the store
gets a ``reviews`` row (the labelled example ``learn`` reads through ``labels.export``), a
``writes`` row for what was written, and ``decisions.reviewed`` once every suggested field of
the decision is reviewed. A review that found the field decided since is recorded unwritten
(it leaves the queue); one that could not write (a run holds the lock, the helpdesk failed)
is not recorded and stays in the queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from ..audit.schema import decisions, reviews, writes
from ..run.review import ReviewOutcome, reviewer_name
from ..writeback.planner import ReviewedLabel
from . import queries

if TYPE_CHECKING:
    from .web import LazyStore

MAX_BULK = 100


class Reviewer(Protocol):
    def apply(self, ticket_id: int, label: ReviewedLabel) -> ReviewOutcome: ...


@dataclass(frozen=True)
class ReviewRequest:
    decision_id: int
    field: str
    value: str | None  # None: accept the suggestion


def _item(text: str) -> tuple[int, str] | None:
    number, _, name = text.partition(":")
    if not number.isdigit() or name not in queries.REVIEW_FIELDS:
        return None
    return int(number), name


class ReviewDesk:
    """``choices``: per field, the values a lead may correct to (taxonomy names, enums)."""

    def __init__(self, reviewer: Reviewer, choices: Mapping[str, Sequence[str]]) -> None:
        self.reviewer = reviewer
        self.choices = {k: list(v) for k, v in choices.items()}

    def requests_from(self, form: Mapping[str, list[str]]) -> list[ReviewRequest]:
        """The form's requests: one accept (``accept``), one correction (``correct`` with its
        ``value:ID:FIELD``), or the ticked ``item``s accepted in bulk (``bulk``)."""
        if form.get("accept"):
            found = _item(form["accept"][0])
            return [ReviewRequest(*found, None)] if found else []
        if form.get("correct"):
            found = _item(form["correct"][0])
            if found is None:
                return []
            value = form.get(f"value:{found[0]}:{found[1]}", [""])[0].strip()
            return [ReviewRequest(*found, value)] if value else []
        if form.get("bulk"):
            items = [_item(text) for text in form.get("item", [])[:MAX_BULK]]
            return [ReviewRequest(*i, None) for i in dict.fromkeys(items) if i is not None]
        return []

    def apply_all(
        self, store: LazyStore, requests: Sequence[ReviewRequest], who: str, account: str
    ) -> list[str]:
        """Each request in turn; one line each saying what happened."""
        return [self.apply_one(store, r, who, account) for r in requests]

    def apply_one(self, store: LazyStore, request: ReviewRequest, who: str, account: str) -> str:
        row = store.read(lambda conn: queries.decision_row(conn, request.decision_id, account=account))
        if row is None:
            return f"decision {request.decision_id}: not in the store"
        ticket = f"ticket {row['ticket_id']}"
        suggestion = queries.pending_of(row, request.field)
        if suggestion is None:
            return f"{ticket}: {request.field} was not suggested"
        if not store.read(lambda conn: queries.is_latest(conn, row, account=account)):
            return f"{ticket}: a later triage replaced this suggestion"
        if store.read(lambda conn: _reviewed(conn, request.decision_id, request.field)):
            return f"{ticket}: {request.field} is reviewed already"
        value = request.value or suggestion.value
        if request.value is not None and value not in self.choices.get(request.field, ()):
            return f"{ticket}: {value!r} is not a value {request.field} may take"
        label = ReviewedLabel(request.field, value, suggestion.value, reviewer_name(who))
        outcome = self.reviewer.apply(int(row["ticket_id"]), label)
        if not outcome.written and not outcome.superseded:
            return f"{ticket}: not written ({outcome.reason})"
        store.write(lambda conn: _record(conn, row, label, outcome, account))
        if outcome.superseded:
            return f"{ticket}: {outcome.reason}"
        verb = "accepted" if label.action == "accept" else "corrected to"
        return f"{ticket}: {request.field} {verb} {value}, written (run {outcome.run_id})"


def _reviewed(conn: sa.Connection, decision_id: int, field: str) -> bool:
    statement = sa.select(reviews.c.id).where(
        reviews.c.decision_id == decision_id, reviews.c.field == field
    )
    return conn.execute(statement).first() is not None


def _record(
    conn: sa.Connection,
    row: Mapping[str, object],
    label: ReviewedLabel,
    outcome: ReviewOutcome,
    account: str,
) -> None:
    now = datetime.now(UTC)
    conn.execute(
        reviews.insert().values(
            account=account,
            decision_id=row["id"],
            ticket_id=row["ticket_id"],
            at=now,
            reviewer=label.reviewer,
            action=label.action,
            field=label.field,
            ticketbot=label.suggested,
            value=label.value,
            run_id=outcome.run_id,
            written=outcome.written,
        )
    )
    wb = outcome.writeback
    if outcome.written and wb is not None:
        conn.execute(
            writes.insert().values(
                account=account,
                run_id=outcome.run_id,
                ticket_id=row["ticket_id"],
                message_id=row.get("message_id") or 0,
                at=now,
                helpdesk=row.get("helpdesk") or "",
                kind="review",
                ok=True,
                tags_added=list(wb.additional_tags),
                tags_removed=list(wb.remove_tags),
                priority=wb.priority.value if wb.priority else None,
                note=wb.note is not None,
            )
        )
    suggested = {
        name for name in queries.REVIEW_FIELDS if queries.pending_of(row, name) is not None
    }
    done = conn.execute(
        sa.select(reviews.c.field, reviews.c.action).where(reviews.c.decision_id == row["id"])
    ).all()
    if suggested <= {name for name, _ in done}:
        verdict = "accept" if all(action == "accept" for _, action in done) else "correct"
        conn.execute(
            decisions.update().where(decisions.c.id == row["id"]).values(reviewed=verdict)
        )
