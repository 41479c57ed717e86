"""A reply that makes the ticket another matter is triaged as a first message of it would be.

``writeback.reply_change``: a reply whose category differs from the standing one sets the
priority a first triage of it would set, even where the urgency reads the same (a first triage
held back for low confidence set none); it still never lowers one. The LLM stand-in reads a
re-triage as the prompt asks: a reply that raises a matter of its own decides the labels, one
that only follows up keeps the first message's. Pure, plain data.
"""

from __future__ import annotations

from ticket_processor.llm_client.prompt import system_prompt
from ticket_processor.models import (
    Analysis,
    Priority,
    RouteDecision,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
)
from ticket_processor.sandbox.llm_standin.answers import answer_reply_first, default_answer
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.writeback.reply_change import ReplyChange, plan_reply
from ticket_processor.writeback.trailer import NoteTrailer

# The first triage held back: account at low confidence, urgency high, no priority of ours.
HELD_BACK = (
    "ai_processed",
    "ai_category_account",
    "ai_urgency_high",
    "ai_sentiment_neutral",
    "ai_low_confidence",
)
BEFORE = NoteTrailer(
    category="account", urgency="high", sentiment="neutral", language="en", engine="llm"
)


def _triage(category: str, urgency: Urgency) -> Triage:
    analysis = Analysis(
        category=category,
        urgency=urgency,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="Someone is using the customer's account.",
        confidence=0.8,
    )
    return Triage(analysis=analysis, engine="llm")


def _plan(result: Triage, priority: str | None) -> ReplyChange:
    ticket = Ticket(id=9, subject="Is this from you?", tags=HELD_BACK, priority=priority)
    return plan_reply(
        ticket,
        "actionable",
        result,
        before=BEFORE,
        trend=("neutral",),
        reply_id=77,
        reply_at="2026-11-28T00:27:10Z",
        route=RouteDecision(),
        decisions={},
        prefix="ai_",
        confidence_threshold=0.5,
        set_priority=True,
        run_id="run-2",
    )


def test_a_new_category_sets_the_priority_a_first_triage_held_back_did_not() -> None:
    change = _plan(_triage("security", Urgency.HIGH), priority="low")
    assert change.changed == {"category": ("account", "security")}
    assert change.priority is Priority.HIGH
    assert "ai_priority_high" in change.add_tags
    assert change.note is not None
    assert "category account → security" in change.note


def test_a_new_category_never_lowers_the_priority() -> None:
    change = _plan(_triage("other", Urgency.HIGH), priority="urgent")
    assert change.changed == {"category": ("account", "other")}
    assert change.priority is None


def test_the_stand_in_reads_a_reply_that_raises_its_own_matter_alone() -> None:
    rules = default_answer()
    first = "I forgot my password and want to reset it. Where is the reset link for my login?"
    takeover = "Someone is using my account and I see orders I did not place."
    framed = f"The customer's new reply:\n{takeover}\n\nTheir first message:\n{first}"
    assert rules("Password reset", framed)["category"] == "account"  # the whole, read evenly
    assert answer_reply_first(rules, "Password reset", framed)["category"] == "security"
    follow_up = f"The customer's new reply:\nAny news?\n\nTheir first message:\n{first}"
    assert answer_reply_first(rules, "Password reset", follow_up)["category"] == "account"


def test_the_prompt_says_a_reply_of_its_own_matter_decides_the_labels() -> None:
    prompt = system_prompt(load_taxonomy())
    assert "a reply that raises a matter of its own" in prompt
