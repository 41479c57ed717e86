"""The report's answers per category, from the log's events."""

from __future__ import annotations

from ticket_processor.report.answers import answer_categories


def test_answers_are_counted_per_category_without_dry_or_shadow_runs() -> None:
    events: list[dict[str, object]] = [
        {"event": "answer_sent", "run_id": "a", "category": "how_to"},
        {"event": "answer_sent", "run_id": "a", "category": "how_to"},
        {"event": "answer_sent", "run_id": "dry", "category": "how_to"},
        {"event": "answer_drafted", "run_id": "a", "category": "billing"},
        {"event": "answer_drafted", "run_id": "s", "category": "billing", "shadow": True},
        {"event": "answer_resolved", "run_id": "b", "category": "how_to"},
        {"event": "answer_reopened", "run_id": "b", "category": "how_to"},
        {"event": "ticket_triaged", "run_id": "a", "category": "how_to"},
        {"event": "answer_draft_judged", "run_id": "c", "category": "billing", "accepted": True},
        {"event": "answer_draft_judged", "run_id": "c", "category": "billing", "accepted": False},
    ]
    rows = {r.category: r for r in answer_categories(events, {"dry"})}
    assert (rows["how_to"].sent, rows["how_to"].resolved, rows["how_to"].reopened) == (2, 1, 1)
    assert rows["how_to"].resolution_rate == 0.5
    assert rows["billing"].drafted == 1
    assert rows["billing"].resolution_rate is None
    assert (rows["billing"].judged, rows["billing"].accepted) == (2, 1)
    assert rows["billing"].acceptance == 0.5
