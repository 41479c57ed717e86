"""A change held back whole (below the confidence threshold, an escalation only suggested) waits
for an agent as a suggested field does: the store files it ``suggested`` (the ticket list's
``?decision=suggested``, the overview's count), and the review queue, which offers fields to
accept, still shows its page of fields however many held-back tickets are newer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticket_processor.audit.rows import decision_values
from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard import pending

ACCOUNT = "zendesk:127.0.0.1"


def test_held_back_changes_wait_and_leave_the_review_queue_its_fields(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    common = {"run_id": "r1", "helpdesk": "zendesk", "status": "written", "mode": "normal"}
    suggested_field = {
        **common,
        "ticket_id": 1,
        "at": now - timedelta(minutes=5),
        **decision_values(
            {
                "category": "billing",
                "field_confidence": {"category": 0.7},
                "decisions": {"category": "suggest"},
            }
        ),
    }
    held = [
        {
            **common,
            "ticket_id": 10 + n,
            "at": now,
            **decision_values({"category": "bug", "confidence": 0.3, "low_confidence": True}),
        }
        for n in range(3)
    ]
    escalation = {
        **common,
        "ticket_id": 20,
        "at": now,
        **decision_values({"category": "bug", "escalation_held": "decided by the learned model"}),
    }
    with AuditStore.open(None, state_dir=tmp_path, account=ACCOUNT) as store:
        store.upsert_runs([{"run_id": "r1", "helpdesk": "zendesk", "started_at": now}])
        store.upsert_decisions([suggested_field, *held, escalation])
        assert [r["decision"] for r in (*held, escalation)] == ["suggested"] * 4
        with store.engine.connect() as conn:
            assert pending.waiting_count(conn, account=ACCOUNT) == 5
            # The newest three rows are held back whole: the queue's one row still shows a field.
            queue = pending.review_queue(conn, account=ACCOUNT, limit=1)
    assert [(s.ticket_id, s.field, s.value) for s in queue] == [(1, "category", "billing")]
