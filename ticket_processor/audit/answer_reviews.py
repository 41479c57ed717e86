"""A lead's verdict on a drafted answer in the audit store (the dashboard's review queue)."""

from __future__ import annotations

from datetime import UTC, datetime

from .batches import utc as _utc
from .schema import decisions, reviews, writes
from .store import AuditStore


def add_answer_review(
    store: AuditStore,
    *,
    decision_id: int,
    ticket_id: int,
    action: str,
    state: str,
    reviewer: str = "",
    run_id: str | None = None,
    reply_id: str | None = None,
    helpdesk: str = "",
    message_id: int = 0,
    at: datetime | None = None,
) -> int:
    """A lead's verdict on a drafted answer (``action``: accept, correct or reject) and
    what came of it (``state``: sent, refused, rejected), in one transaction: a
    ``reviews`` row of field ``answer``, the decision's ``answer_state`` (what the answer
    figures count) and, for a reply sent, a ``writes`` row with its id."""
    moment = _utc(at) or datetime.now(UTC)
    sent = state == "sent"
    with store._writing() as conn:
        result = conn.execute(
            reviews.insert().values(
                account=store.account,
                decision_id=decision_id,
                ticket_id=ticket_id,
                at=moment,
                reviewer=reviewer,
                action=action,
                field="answer",
                ticketbot="drafted",
                value=state,
                run_id=run_id,
                written=sent,
            )
        )
        key = result.inserted_primary_key
        conn.execute(
            decisions.update()
            .where(decisions.c.id == decision_id, decisions.c.account == store.account)
            .values(answer_state=state, **({"reply_id": reply_id} if sent else {}))
        )
        if sent and run_id:
            conn.execute(
                writes.insert().values(
                    account=store.account,
                    run_id=run_id,
                    ticket_id=ticket_id,
                    message_id=message_id,
                    at=moment,
                    helpdesk=helpdesk,
                    kind="answer",
                    ok=True,
                    reply_id=reply_id,
                )
            )
    return int(key[0]) if key else 0
