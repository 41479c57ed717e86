"""The review queue's decisions: which suggestion a lead accepted or corrected, written through
the run's review path and recorded in the store.

``ReviewDesk.apply_all`` takes the form's requests one at a time: the decision must still be
the ticket's latest, the field still suggested and not reviewed, a corrected value one the
field may take (the taxonomy, the enums); then the ``Reviewer``
(``writeback.label_review.ReviewWriter``:
lock, fresh read, the one planner, the helpdesk's journalled write) writes it, and the store
gets a ``reviews`` row (``AuditStore.add_review``: the labelled example ``labels`` exports for
``learn``, and an agreement or a correction of the field for the overview's figures) and a
``writes`` row for what was written. A review that found the field decided since is recorded
unwritten (it leaves the queue); one that could not write (a run holds the lock, the helpdesk
failed) is not recorded and stays in the queue.

Drafted answers (field ``answer``: answer mode ``draft``, or ``auto`` held back at its draft
rung) go to the ``AnswerReviewer`` (``answers.review.AnswerSender``): accepted, the draft is
sent as the public reply through the answers' own send-once path; corrected, the lead's text
is sent instead (as plain text: the helpdesk escapes it); rejected, nothing is sent. The
verdict is stored (``audit.answer_reviews``) once it lasts (sent, refused by the ticket as it is
now, rejected); a run holding the lock or a helpdesk failure leaves the draft in the queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Protocol

from ..answers.review import AnswerOutcome
from ..audit.answer_reviews import add_answer_review
from ..audit.queries import Decision
from ..audit.store import AuditStore
from ..writeback.label_review import ReviewOutcome, reviewer_name
from ..writeback.planner import ReviewedLabel
from . import pending, queries

MAX_BULK = 100


ANSWER = "answer"


class Reviewer(Protocol):
    def apply(self, ticket_id: int, label: ReviewedLabel) -> ReviewOutcome: ...


class AnswerReviewer(Protocol):
    def send(self, ticket_id: int, text: str | None, reviewer: str) -> AnswerOutcome: ...

    def reject(self, ticket_id: int, reviewer: str) -> AnswerOutcome: ...


class Refusal(str):
    """A line saying a request was refused (nothing written): the page shows it as a failure,
    not in the box of a success."""


@dataclass(frozen=True)
class ReviewRequest:
    decision_id: int
    field: str
    value: str | None  # None: accept the suggestion (or the drafted answer as it is)
    reject: bool = False  # a drafted answer not to be sent


def _item(text: str) -> tuple[int, str] | None:
    number, _, name = text.partition(":")
    # ASCII digits that fit the store's column: "²" passes ``isdigit`` and fails ``int``.
    if not (number.isascii() and number.isdigit() and len(number) <= 18):
        return None
    if name not in (*pending.REVIEW_FIELDS, ANSWER):
        return None
    return int(number), name


class ReviewDesk:
    """``choices``: per field, the values a lead may correct to (taxonomy names, enums)."""

    def __init__(
        self,
        reviewer: Reviewer,
        choices: Mapping[str, Sequence[str]],
        answers: AnswerReviewer | None = None,
    ) -> None:
        self.reviewer = reviewer
        self.choices = {k: list(v) for k, v in choices.items()}
        self.answers = answers

    def requests_from(self, form: Mapping[str, list[str]]) -> list[ReviewRequest]:
        """The form's requests: one accept (``accept``), one correction (``correct`` with its
        ``value:ID:FIELD``; for an answer the edited text), one rejected answer (``reject``), or
        the ticked ``item``s accepted in bulk (``bulk``)."""
        if form.get("reject"):
            found = _item(form["reject"][0])
            ok = found is not None and found[1] == ANSWER
            return [ReviewRequest(*found, None, reject=True)] if found and ok else []
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
        self, store: AuditStore, requests: Sequence[ReviewRequest], who: str
    ) -> list[str]:
        """Each request in turn; one line each saying what happened."""
        return [self.apply_one(store, r, who) for r in requests]

    def apply_one(self, store: AuditStore, request: ReviewRequest, who: str) -> str:
        found = store.decision(request.decision_id)
        if found is None:
            return Refusal(f"decision {request.decision_id}: not in the store")
        if request.field == ANSWER:
            return self._answer(store, found, request, who)
        row = asdict(found)
        ticket = f"ticket {found.ticket_id}"
        suggestion = pending.pending_of(row, request.field)
        if suggestion is None:
            return Refusal(f"{ticket}: {request.field} was not suggested")
        with store.engine.connect() as conn:
            if not queries.is_latest(conn, row, account=store.account):
                return Refusal(f"{ticket}: a later triage replaced this suggestion")
            done = pending.reviewed_fields(conn, [found.id]).get(found.id, set())
        if request.field in done:
            return Refusal(f"{ticket}: {request.field} is reviewed already")
        value = request.value or suggestion.value
        if request.value is not None and value not in self.choices.get(request.field, ()):
            return Refusal(f"{ticket}: {value!r} is not a value {request.field} may take")
        label = ReviewedLabel(request.field, value, suggestion.value, reviewer_name(who))
        outcome = self.reviewer.apply(found.ticket_id, label)
        if not outcome.written and not outcome.superseded:
            return Refusal(f"{ticket}: not written ({outcome.reason})")
        _record(store, found, label, outcome)
        if outcome.superseded:
            return f"{ticket}: {outcome.reason}"
        verb = "accepted" if label.action == "accept" else "corrected to"
        return f"{ticket}: {request.field} {verb} {value}, written (run {outcome.run_id})"

    def _answer(self, store: AuditStore, found: Decision, request: ReviewRequest, who: str) -> str:
        """A drafted answer sent (as drafted, or the lead's text) or rejected."""
        ticket = f"ticket {found.ticket_id}"
        if self.answers is None:
            return Refusal(f"{ticket}: answers cannot be sent from this dashboard")
        if found.answer_state != "drafted":
            return Refusal(f"{ticket}: no drafted answer waits on this decision")
        with store.engine.connect() as conn:
            if not queries.is_latest(conn, asdict(found), account=store.account):
                return Refusal(f"{ticket}: a later triage replaced this draft")
        name = reviewer_name(who)
        if request.reject:
            outcome = self.answers.reject(found.ticket_id, name)
            action = "reject"
        else:
            outcome = self.answers.send(found.ticket_id, request.value, name)
            action = "accept" if request.value is None else "correct"
        if outcome.state is None:
            return Refusal(f"{ticket}: answer not sent ({outcome.reason})")
        add_answer_review(
            store,
            decision_id=found.id,
            ticket_id=found.ticket_id,
            action=action,
            state=outcome.state,
            reviewer=name,
            run_id=outcome.run_id,
            reply_id=outcome.reply_id,
            helpdesk=found.helpdesk,
        )
        if outcome.state == "sent":
            edited = " (as corrected)" if action == "correct" else ""
            return f"{ticket}: answer sent{edited} (run {outcome.run_id})"
        if outcome.state == "rejected":
            return f"{ticket}: answer rejected, not sent"
        return Refusal(f"{ticket}: answer not sent: {outcome.reason}")


def _record(
    store: AuditStore, found: Decision, label: ReviewedLabel, outcome: ReviewOutcome
) -> None:
    """The review (a labelled example, and a correction or an agreement of the field) and
    what it wrote."""
    now = datetime.now(UTC)
    store.add_review(
        ticket_id=found.ticket_id,
        field=label.field,
        action=label.action,
        value=label.value,
        ticketbot=label.suggested,
        decision_id=found.id,
        reviewer=label.reviewer,
        run_id=outcome.run_id,
        written=outcome.written,
        at=now,
    )
    wb = outcome.writeback
    if outcome.written and wb is not None:
        store.upsert_writes(
            [
                {
                    "run_id": outcome.run_id,
                    "ticket_id": found.ticket_id,
                    "message_id": found.message_id,
                    "at": now,
                    "helpdesk": found.helpdesk,
                    "kind": "review",
                    "ok": True,
                    "tags_added": list(wb.additional_tags),
                    "tags_removed": list(wb.remove_tags),
                    "priority": wb.priority.value if wb.priority else None,
                    "note": wb.note is not None,
                    "note_id": outcome.note_id,
                }
            ]
        )
