"""A lead's review to its change: the suggested value applied, the suggestion tag taken away,
never over a value someone set since."""

from __future__ import annotations

from ticket_processor.models import Priority, Ticket
from ticket_processor.writeback.planner import ReviewedLabel, review_writeback


def _ticket(*tags: str, priority: str | None = None) -> Ticket:
    return Ticket(
        id=5, subject="s", tags=tags, priority=priority, updated_at="2026-11-25T04:00:00Z"
    )


def test_accepting_applies_the_value_and_removes_the_suggestion() -> None:
    label = ReviewedLabel("category", "billing", "billing", "lea")
    wb = review_writeback(
        _ticket("ai_processed", "ai_suggested_category", "vip"), label, prefix="ai_", run_id="r"
    )
    assert wb is not None
    assert wb.additional_tags == ("ai_category_billing",)
    assert wb.remove_tags == ("ai_suggested_category",)
    assert wb.priority is None
    assert wb.updated_stamp == "2026-11-25T04:00:00Z"
    assert wb.note is not None
    assert "lea" in wb.note
    assert "accepted" in wb.note


def test_a_correction_writes_the_leads_value() -> None:
    label = ReviewedLabel("category", "shipping", "billing", "lea")
    wb = review_writeback(_ticket("ai_suggested_category"), label, prefix="ai_", run_id="r")
    assert wb is not None
    assert wb.additional_tags == ("ai_category_shipping",)
    assert label.action == "correct"
    assert wb.note is not None
    assert "billing" in wb.note


def test_an_accepted_urgency_sets_the_priority_by_the_policy() -> None:
    label = ReviewedLabel("urgency", "high", "high", "lea")
    wb = review_writeback(_ticket("ai_suggested_urgency"), label, prefix="ai_", run_id="r")
    assert wb is not None
    assert wb.priority == Priority.HIGH
    assert "ai_priority_high" in wb.additional_tags
    # A human's urgent priority is never lowered.
    human = _ticket("ai_suggested_urgency", priority="urgent")
    kept = review_writeback(human, label, prefix="ai_", run_id="r")
    assert kept is not None
    assert kept.priority is None


def test_nothing_is_written_over_a_value_set_since() -> None:
    label = ReviewedLabel("category", "billing", "billing", "lea")
    assert review_writeback(_ticket("ai_processed"), label, prefix="ai_", run_id="r") is None
    decided = _ticket("ai_suggested_category", "ai_category_shipping")
    assert review_writeback(decided, label, prefix="ai_", run_id="r") is None
    odd = ReviewedLabel("language", "de", "de", "lea")
    assert review_writeback(_ticket("ai_suggested_language"), odd, prefix="ai_", run_id="r") is None
