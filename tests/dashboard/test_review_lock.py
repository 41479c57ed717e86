"""One writer at a time: a review waits for no run. While a run holds the state directory's
lock, a review writes nothing, opens no helpdesk connection, and says to try again."""

from __future__ import annotations

from pathlib import Path

from ticket_processor.models import Helpdesk
from ticket_processor.state.lock import RunLock
from ticket_processor.writeback.label_review import ReviewWriter, reviewer_name
from ticket_processor.writeback.planner import ReviewedLabel


def test_a_review_while_a_run_holds_the_lock_writes_nothing(tmp_path: Path) -> None:
    connected: list[str] = []

    def connect() -> Helpdesk:
        connected.append("helpdesk")
        raise AssertionError("no connection while a run holds the lock")

    writer = ReviewWriter(connect, state_dir=tmp_path, log_dir=tmp_path / "logs", prefix="ai_")
    with RunLock(tmp_path):
        outcome = writer.apply(7, ReviewedLabel("category", "billing", "billing", "lea"))
    assert not outcome.written
    assert not outcome.superseded  # it stays in the queue
    assert outcome.reason is not None
    assert "a run is writing" in outcome.reason
    assert connected == []


def test_a_reviewer_name_from_a_proxy_header_is_plain() -> None:
    assert reviewer_name("lea@example.com") == "lea@example.com"
    assert reviewer_name("<script>x</script>\nticketbot:v1") == "scriptxscriptticketbotv1"
    assert reviewer_name("") == "lead"


def test_an_error_the_lead_reads_carries_no_secret(tmp_path: Path) -> None:
    from ticket_processor.errors import TicketBotError

    secret = "sk-live-0123456789abcdef"

    def connect() -> Helpdesk:
        raise TicketBotError(f"refused https://agent:{secret}@desk.example/api (key {secret})")

    writer = ReviewWriter(
        connect, state_dir=tmp_path, log_dir=tmp_path / "logs", prefix="ai_", secrets=(secret,)
    )
    outcome = writer.apply(7, ReviewedLabel("category", "billing", "billing", "lea"))
    assert not outcome.written
    assert outcome.reason is not None
    assert "refused" in outcome.reason
    assert secret not in outcome.reason
