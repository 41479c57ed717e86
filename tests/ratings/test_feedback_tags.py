"""The feedback tags, pure: which verdicts a ticket's tags give (with the team's own prefix),
the ``ticket_rated`` event only for a ticket ticketbot triaged, and a category an agent called
wrong never kept as a label while it is still the one ticketbot wrote."""

from __future__ import annotations

from typing import Any

from ticket_processor.learned.labels import verdicts_in, without_disowned
from ticket_processor.models import Ticket
from ticket_processor.ratings.tags import observe_ratings


class Recorded:
    """The event sink's one fake: keeps what was emitted."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        self.events.append((event, fields))
        return {"event": event, **fields}


def test_the_verdicts_a_tickets_tags_give() -> None:
    tags = ["ai_feedback_wrong_category", "ai_feedback_helped", "vip", "team_feedback_not_helped"]
    assert verdicts_in(tags, "ai_") == ["helped", "wrong_category"]
    assert verdicts_in(tags, "team_") == ["not_helped"]
    assert verdicts_in(["ai_feedback_perhaps"], "ai_") == []


def test_only_a_ticket_ticketbot_triaged_is_rated() -> None:
    sink = Recorded()
    rated = Ticket(
        id=7, subject="s", tags=["ai_processed", "ai_category_billing", "ai_feedback_not_helped"]
    )
    untouched = Ticket(id=8, subject="s", tags=["ai_feedback_helped"])
    observe_ratings(sink, rated, "ai_")
    observe_ratings(sink, untouched, "ai_")
    assert sink.events == [
        ("ticket_rated", {"ticket_id": 7, "verdicts": ["not_helped"], "category": "billing"})
    ]


def test_a_category_called_wrong_is_no_label_while_it_is_ticketbots() -> None:
    labels = {"category": "billing", "urgency": "high"}
    wrong = ["ai_feedback_wrong_category"]
    assert without_disowned(labels, wrong, {"category": "billing"}, "ai_") == {"urgency": "high"}
    # The agent set another category: that one is the label.
    fixed = {"category": "refund", "urgency": "high"}
    assert without_disowned(fixed, wrong, {"category": "billing"}, "ai_") == fixed
    assert without_disowned(labels, [], {"category": "billing"}, "ai_") == labels
