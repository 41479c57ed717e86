"""The change a customer's reply makes (``triage.reply_change``): pure, plain data.

A thank-you gets its tag and no note; an actionable reply replaces only ticketbot's own tags of
the fields that changed, raises (never lowers) the priority, writes a short note only when a
field changed, and its trailer answers the reply with the labels that stand and the trend.
Routes match on the reply's facts; a revert takes back the note of the message it names.
"""

from __future__ import annotations

from typing import Any

from ticket_processor.models import (
    Analysis,
    Priority,
    RouteDecision,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
)
from ticket_processor.tags import (
    read_note,
    render_note,
    render_revert_note,
    standing_note,
)
from ticket_processor.triage.reply_change import (
    ReplyChange,
    ReplyKind,
    plan_reply,
    reply_facts,
    standing_labels,
)
from ticket_processor.triage.routing import parse_routes
from ticket_processor.triage.trailer import NoteTrailer, parse_trailer

PREFIX = "ai_"


def triage(
    *,
    category: str = "billing",
    urgency: Urgency = Urgency.MEDIUM,
    sentiment: Sentiment = Sentiment.NEUTRAL,
) -> Triage:
    return Triage(
        analysis=Analysis(
            category=category,
            urgency=urgency,
            sentiment=sentiment,
            language="en",
            summary="The customer asks again.",
            confidence=0.9,
        ),
        engine="rules",
    )


FIRST = triage()
BEFORE = NoteTrailer(
    category="billing", urgency="medium", sentiment="neutral", language="en", engine="rules"
)
TAGS = (
    "ai_processed",
    "ai_category_billing",
    "ai_urgency_medium",
    "ai_sentiment_neutral",
    "ai_priority_normal",
    "vip",
)


def ticket(tags: tuple[str, ...] = TAGS, priority: str | None = "normal") -> Ticket:
    return Ticket(id=7, subject="Export", tags=tags, priority=priority, updated_at="t1")


def plan(kind: ReplyKind, result: Triage | None, **kw: Any) -> ReplyChange:
    args: dict[str, Any] = {
        "before": BEFORE,
        "trend": ("neutral",),
        "reply_id": 501,
        "reply_at": "2026-11-24T10:02:00Z",
        "route": RouteDecision(),
        "decisions": {},
        "prefix": PREFIX,
        "confidence_threshold": 0.5,
        "set_priority": True,
        "run_id": "run-1",
    }
    args.update(kw)
    target = args.pop("ticket", ticket())
    return plan_reply(target, kind, result, **args)


def test_a_thank_you_gets_its_tag_and_no_note() -> None:
    change = plan("thanks", None)
    assert change.add_tags == ("ai_reply_thanks",)
    assert change.note is None
    assert change.priority is None
    assert change.remove_tags == ()
    again = plan("thanks", None, ticket=ticket((*TAGS, "ai_reply_thanks")))
    assert not again.writes


def test_an_auto_reply_replaces_a_thanks_tag_and_writes_no_note() -> None:
    change = plan("auto_reply", None, ticket=ticket((*TAGS, "ai_reply_thanks")))
    assert change.add_tags == ("ai_reply_auto",)
    assert change.remove_tags == ("ai_reply_thanks",)
    assert change.note is None


def test_an_angry_reply_replaces_the_changed_fields_tags_and_notes_it_once() -> None:
    angry = triage(urgency=Urgency.HIGH, sentiment=Sentiment.NEGATIVE)
    change = plan("actionable", angry)
    assert set(change.add_tags) == {
        "ai_urgency_high",
        "ai_sentiment_negative",
        "ai_priority_high",
    }
    assert set(change.remove_tags) == {
        "ai_urgency_medium",
        "ai_sentiment_neutral",
        "ai_priority_normal",
    }
    assert "vip" not in change.remove_tags
    assert change.priority is Priority.HIGH
    note = change.note
    assert note is not None
    assert "sentiment neutral → negative" in note
    assert "urgency medium → high" in note
    assert "Sentiment trend: neutral → negative" in note
    trailer = read_note(note)
    assert trailer is not None
    assert trailer.answers == 501
    assert (trailer.sentiment, trailer.urgency, trailer.category) == ("negative", "high", "billing")
    assert trailer.trend == ("neutral", "negative")


def test_an_unchanged_reply_writes_nothing() -> None:
    change = plan("actionable", FIRST)
    assert not change.writes
    assert change.trend == ("neutral", "neutral")


def test_a_reply_never_lowers_a_priority() -> None:
    calmer = triage(urgency=Urgency.LOW)
    change = plan("actionable", calmer, ticket=ticket(priority="urgent"))
    assert change.priority is None
    assert "ai_urgency_low" in change.add_tags


def test_only_applied_fields_change() -> None:
    angry = triage(sentiment=Sentiment.NEGATIVE)
    change = plan("actionable", angry, decisions={"sentiment": "suggest"})
    assert not change.writes


def test_reply_facts_and_routes_on_them() -> None:
    standing = standing_labels(BEFORE, TAGS, PREFIX)
    facts = reply_facts(standing, triage(sentiment=Sentiment.NEGATIVE, urgency=Urgency.HIGH))
    assert (facts.sentiment_change, facts.urgency_change) == ("worse", "higher")
    book = parse_routes(
        '[[route]]\nname = "angrier"\nwhen = { sentiment_change = "worse" }\nescalate = true\n'
        '[[route]]\nname = "any reply"\nwhen = { reply = true }\nadd_tags = ["replied"]\n'
    )
    router = book.resolve([], [], prefix=PREFIX)
    angry = triage(sentiment=Sentiment.NEGATIVE)
    on_reply = router.decide(ticket(), angry, 0.5, {}, facts)
    assert on_reply.escalate
    assert "ai_replied" in on_reply.tags
    first = router.decide(ticket(), angry, 0.5, {})
    assert not first.escalate
    assert first.tags == ()


def test_a_route_escalating_on_a_reply_writes_a_note_once() -> None:
    route = RouteDecision(tags=("ai_escalated",), escalate=True, escalated_by=("angrier",))
    change = plan("actionable", FIRST, route=route)
    assert change.escalated
    assert change.note
    assert change.priority is Priority.URGENT
    already = plan("actionable", FIRST, route=route, ticket=ticket((*TAGS, "ai_escalated")))
    assert not already.writes


def test_the_trend_survives_the_trailer() -> None:
    line = NoteTrailer(
        category="billing",
        urgency="high",
        sentiment="negative",
        language="en",
        engine="rules",
        answers=12,
        trend=("neutral", "negative"),
    ).line()
    parsed = parse_trailer(line)
    assert parsed is not None
    assert parsed.trend == ("neutral", "negative")
    assert parse_trailer(line.replace("trend=neutral,negative", "trend=furious")) is None


def test_a_revert_of_a_reply_lets_the_labels_before_it_stand() -> None:
    first = render_note(FIRST, priority=None, run_id="r1")
    change = plan("actionable", triage(sentiment=Sentiment.NEGATIVE))
    reply_note = change.note
    assert reply_note is not None
    undo_reply = render_revert_note("r2", "removed tags", answers=501)
    undo_first = render_revert_note("r1", "removed tags")
    assert standing_note([first, reply_note]) == reply_note
    assert standing_note([first, reply_note, undo_reply]) == first
    assert standing_note([first, reply_note, undo_first]) is None
