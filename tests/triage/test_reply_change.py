"""The change a customer's reply makes (``writeback.reply_change``): pure, plain data.

A thank-you gets its tag and no note; an actionable reply replaces only ticketbot's own tags of
the fields that changed, raises (never lowers) the priority, writes a short note only when a
field changed, and its trailer answers the reply with the labels that stand and the trend.
Routes match on the reply's facts; a revert takes back the note of the message it names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ticket_processor.models import (
    Analysis,
    Conversation,
    Cursor,
    Message,
    Priority,
    RiskVerdict,
    RouteDecision,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
)
from ticket_processor.state.ledger import RunLedger
from ticket_processor.state.replies import ReplyBook
from ticket_processor.tags import (
    read_note,
    render_note,
    render_revert_note,
    standing_note,
)
from ticket_processor.triage.reply_facts import reply_facts
from ticket_processor.triage.routing import parse_routes
from ticket_processor.writeback.note import NoteLanguage
from ticket_processor.writeback.reply_change import (
    ReplyChange,
    ReplyKind,
    plan_reply,
    read_thread,
    standing_labels,
)
from ticket_processor.writeback.trailer import NoteTrailer, parse_trailer

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


def message(
    mid: int, body: str, *, public: bool = True, requester: bool = True, own: bool = True
) -> Message:
    """A public message (the requester's unless told), or a note (ticketbot's unless told)."""
    return Message(
        mid, body, "2026-11-24T10:00:00Z", public, requester and public, own and not public
    )


def test_a_note_ticketbot_did_not_write_answers_nothing_whatever_its_trailer() -> None:
    first = render_note(FIRST, priority=None, run_id="r1")
    pasted = plan("actionable", triage(sentiment=Sentiment.NEGATIVE), reply_id=40).note
    assert pasted is not None  # ticketbot's note from another ticket, answering message 40
    conversation = Conversation(
        ticket(),
        (
            message(10, first, public=False),
            message(20, "Still broken, please hurry."),
            message(40, "Hello?"),
            message(45, pasted, public=False, own=False),  # an agent pasted it
        ),
    )
    thread = read_thread(conversation, None, ())
    assert [m.id for m in thread.replies] == [20, 40]
    assert thread.before is not None
    assert thread.before.answers is None  # the first triage's note stands, not the pasted one


def test_only_the_requesters_unanswered_public_replies_count() -> None:
    first = render_note(FIRST, priority=None, run_id="r1")
    answered = plan("actionable", triage(sentiment=Sentiment.NEGATIVE), reply_id=20).note
    assert answered is not None
    conversation = Conversation(
        ticket(),
        (
            message(10, first, public=False),
            message(20, "Third time asking!"),
            message(25, answered, public=False),
            message(30, "We are looking into it.", requester=False),  # an agent's reply
            message(35, "Internal: check the logs", public=False),  # an agent's note
            message(40, "Still broken, please hurry."),
        ),
    )
    thread = read_thread(conversation, None, ())
    assert [m.id for m in thread.replies] == [40]
    assert thread.before is not None
    assert thread.before.answers == 20
    assert thread.trend == ("neutral", "negative")
    # The book knows a later reply was judged (a thank-you leaves no note): nothing new.
    assert read_thread(conversation, 40, ("neutral", "negative", "positive")).replies == ()
    quiet = Conversation(ticket(), (message(10, first, public=False),))
    assert read_thread(quiet, None, ()).replies == ()


def test_a_reply_before_the_first_triage_is_still_judged() -> None:
    first = render_note(FIRST, priority=None, run_id="r1")
    conversation = Conversation(
        ticket(), (message(5, "Forgot to say: it's urgent."), message(10, first, public=False))
    )
    thread = read_thread(conversation, None, ())
    assert [m.id for m in thread.replies] == [5]
    assert thread.trend == ("neutral",)


def test_the_book_keeps_cursor_and_tickets_and_survives_a_reload(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path)
    book = ReplyBook(ledger, "zendesk", clock=lambda: 1_800_000_000.0)
    book.move_cursor(Cursor("ticket_events", "1799999000"))
    book.wrote(7, "2026-11-24T10:00:00Z")
    book.answered(8, 40, ("neutral", "negative"))
    book.save()
    again = ReplyBook(RunLedger(tmp_path), "zendesk", clock=lambda: 1_800_000_000.0)
    assert again.cursor == Cursor("ticket_events", "1799999000")
    assert again.written(7) == "2026-11-24T10:00:00Z"
    entry = again.entry(8)
    assert entry is not None
    assert (entry.answered, entry.trend) == (40, ["neutral", "negative"])
    # Another helpdesk's ids mean nothing here; old entries are dropped on save.
    assert ReplyBook(RunLedger(tmp_path), "freshdesk").cursor is None
    later = ReplyBook(RunLedger(tmp_path), "zendesk", clock=lambda: 1_800_000_000.0 + 91 * 86400)
    later.save()
    assert ReplyBook(RunLedger(tmp_path), "zendesk").entry(7) is None


def test_a_reply_that_moves_only_the_risk_says_so_in_its_note() -> None:
    """The risk's level is news to an agent (its tag is replaced), so a note follows; it said
    "no field changed" while the risk block below it read otherwise (an outside review)."""
    calmer = FIRST.model_copy(update={"risk": RiskVerdict(level="low", probability=0.1)})
    change = plan("actionable", calmer, ticket=ticket((*TAGS, "ai_risk_medium")))
    assert change.add_tags == ("ai_risk_low",)
    assert change.remove_tags == ("ai_risk_medium",)
    note = change.note
    assert note is not None
    assert "After the customer's reply of 2026-11-24 10:02 UTC: risk medium → low" in note
    assert "no field changed" not in note


def test_a_reply_an_unsure_engine_read_says_why_no_route_acted() -> None:
    """The angrier customer's route did not escalate and the note said nothing of why (an
    outside review): it says it as a first message's note does."""
    unsure = triage(sentiment=Sentiment.NEGATIVE).model_copy(
        update={
            "analysis": triage(sentiment=Sentiment.NEGATIVE).analysis.model_copy(
                update={"confidence": 0.34}
            )
        }
    )
    note = plan("actionable", unsure).note
    assert note is not None
    assert "Held back: confidence 0.34 is below 0.50" in note
    sure = plan("actionable", triage(sentiment=Sentiment.NEGATIVE)).note
    assert sure is not None
    assert "Held back" not in sure


def test_the_note_after_a_reply_is_in_the_agents_language() -> None:
    angry = triage(urgency=Urgency.HIGH, sentiment=Sentiment.NEGATIVE)
    change = plan("actionable", angry, language=NoteLanguage("de"))
    note = change.note
    assert note is not None
    assert note.splitlines()[0].endswith(": der Kunde hat geantwortet")
    assert "Stimmungsverlauf: neutral → negative" in note
    assert "Priorität erhöht auf high" in note
    assert "Sentiment trend" not in note
    # The fields' names in its sentence too (it said "urgency medium → high").
    assert "Dringlichkeit medium → high; Stimmung neutral → negative" in note
    assert "urgency" not in note.split("ticketbot:")[0]
    trailer = read_note(note)
    assert trailer is not None
    assert trailer.answers == 501
