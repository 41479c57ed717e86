"""Tags, priority policy and note: pure functions, plain data, properties with hypothesis."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticket_processor.models import (
    Analysis,
    Priority,
    RouteDecision,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
    sanitise_tag,
)
from ticket_processor.tags import (
    decide_priority,
    is_processed,
    merge_tags,
    plan_change,
    triage_tags,
)

TAG_RULE = re.compile(r"^[a-z0-9](?:[a-z0-9_\-]*[a-z0-9])?$")


def make_triage(
    urgency: Urgency = Urgency.HIGH, confidence: float = 0.9, fallback: bool = False
) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=urgency,
        sentiment=Sentiment.NEGATIVE,
        language="de",
        summary="Charged twice for the March invoice.",
        confidence=confidence,
    )
    return Triage(
        analysis=analysis,
        engine="rules" if fallback else "llm",
        model=None if fallback else "gpt-4o-mini",
        fallback=fallback,
    )


@given(st.text())
def test_sanitised_tags_follow_zendesk_rules(raw: str) -> None:
    tag = sanitise_tag(raw)
    assert tag == "" or TAG_RULE.match(tag), tag
    assert len(tag) <= 80
    assert sanitise_tag(tag) == tag  # idempotent


def test_sanitise_examples() -> None:
    assert sanitise_tag("  VIP Customer ") == "vip_customer"
    assert sanitise_tag("ai_lang_fr") == "ai_lang_fr"
    assert sanitise_tag("Crème brûlée!!") == "creme_brulee"
    assert sanitise_tag("a\u200bb\x00c") == "ab_c"  # zero-width vanishes, NUL splits


@given(st.lists(st.text(max_size=12)), st.lists(st.text(max_size=12)))
def test_merge_never_loses_or_duplicates(existing: list[str], additions: list[str]) -> None:
    merged = merge_tags(existing, additions)
    assert set(existing) <= set(merged)
    assert {tag for tag in additions if tag} <= set(merged)
    assert len(merged) == len(set(merged))
    assert merged[: len(dict.fromkeys(existing))] == list(dict.fromkeys(existing))


def test_triage_tags_only_from_enums() -> None:
    tags = triage_tags(
        make_triage(confidence=0.3, fallback=True), prefix="ai_", confidence_threshold=0.5
    )
    assert tags == (
        "ai_processed",
        "ai_category_billing",
        "ai_urgency_high",
        "ai_sentiment_negative",
        "ai_lang_de",
        "ai_fallback",
        "ai_low_confidence",
    )
    assert is_processed(["vip", *tags], "ai_")
    assert not is_processed(["vip"], "ai_")


@pytest.mark.parametrize(
    ("engine", "fallback", "expected"),
    [
        ("llm", False, set()),  # the LLM decided: neither tag
        ("learned", False, {"ai_engine_learned"}),  # asked for (--engine learned)
        ("learned", True, {"ai_engine_learned", "ai_fallback"}),  # in the LLM's place
        ("rules", True, {"ai_fallback"}),  # in place of the engine asked for
        ("rules", False, set()),  # --engine rules chose them
    ],
)
def test_which_engine_decided_is_tagged_as_the_readme_says(
    engine: str, fallback: bool, expected: set[str]
) -> None:
    """README, "What it writes": ``ai_engine_learned`` and ``ai_fallback``; change both together."""
    triage = make_triage().model_copy(update={"engine": engine, "fallback": fallback})
    tags = set(triage_tags(triage, prefix="ai_", confidence_threshold=0.5))
    assert {t for t in tags if t in ("ai_engine_learned", "ai_fallback")} == expected


@pytest.mark.parametrize(
    ("current", "tags", "urgency", "confidence", "expected"),
    [
        (None, [], Urgency.CRITICAL, 0.9, Priority.URGENT),  # none set: set it
        (None, [], Urgency.MEDIUM, 0.9, Priority.NORMAL),
        (None, [], Urgency.CRITICAL, 0.2, None),  # below threshold: leave alone
        ("high", [], Urgency.LOW, 0.9, None),  # never lower a human's priority
        ("low", [], Urgency.HIGH, 0.9, Priority.HIGH),  # raising a human's is allowed
        ("high", ["ai_priority_high"], Urgency.LOW, 0.9, Priority.LOW),  # ours: may lower
        ("normal", [], Urgency.MEDIUM, 0.9, None),  # already right: no change
        ("bogus", [], Urgency.LOW, 0.9, Priority.LOW),  # unknown value counts as none
    ],
)
def test_priority_policy(
    current: str | None,
    tags: list[str],
    urgency: Urgency,
    confidence: float,
    expected: Priority | None,
) -> None:
    decided = decide_priority(
        current=current,
        tags=tags,
        urgency=urgency,
        confidence=confidence,
        confidence_threshold=0.5,
        prefix="ai_",
    )
    assert decided == expected


def test_priority_switched_off() -> None:
    assert (
        decide_priority(
            current=None,
            tags=[],
            urgency=Urgency.CRITICAL,
            confidence=1.0,
            confidence_threshold=0.5,
            prefix="ai_",
            enabled=False,
        )
        is None
    )


def test_plan_writeback_adds_priority_tag_and_note() -> None:
    ticket = Ticket(id=7, tags=("vip",), updated_at="2026-11-22T05:00:00Z")
    wb = plan_change(
        ticket,
        make_triage(Urgency.CRITICAL),
        RouteDecision(),
        (),
        prefix="ai_",
        confidence_threshold=0.5,
        set_priority=True,
        run_id="r1",
    ).writeback(ticket)
    assert wb.priority is Priority.URGENT
    assert "ai_priority_urgent" in wb.additional_tags
    assert "vip" not in wb.additional_tags  # additions only; existing tags stay untouched
    assert wb.note is not None
    assert "Summary: Charged twice" in wb.note
    assert "priority set to urgent" in wb.note
    assert wb.updated_stamp == "2026-11-22T05:00:00Z"
