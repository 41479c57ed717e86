"""With the default chooser, the calibration's article is sent when the passage vectors confirm
it; where the calibration has no article or an unsure one, the vectors' own first article is
sent when the gate alone is sure of it (``GATE_ALONE_AT``), or from ``QUESTION_AT`` where the
ticket asks a question, and not below. Pure: the gate's probability is set by its calibration,
the rest are plain values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ticket_processor.answers.gate import Gate, GateInput
from ticket_processor.answers.plan import (
    GATE_ALONE_AT,
    QUESTION_AT,
    Circumstances,
    TicketCues,
    cues,
    decide,
)
from ticket_processor.kb.dense import Candidate
from ticket_processor.kb.index import Hit
from ticket_processor.models import Analysis, Suggestion, Ticket, Triage
from ticket_processor.triage.confidence import Calibration

TICKET = Ticket(id=5, subject="Dunkel", description="Wie schalte ich die App auf dunkel?")
ANALYSIS = Analysis(
    category="how_to",
    urgency="medium",
    sentiment="neutral",
    language="de",
    summary="",
    confidence=0.9,
)
CALIBRATION = Calibration(starts=(0.0, 0.3), values=(0.0, 0.95))


def sure_gate(probability: float) -> Gate:
    """A gate whose probability is ``probability`` whatever the features."""
    return Gate((0.0, 0.0, 0.0), 0.0, Calibration((0.0,), (probability,)))


def triage(*scores: tuple[int, float]) -> Triage:
    suggestions = tuple(
        Suggestion(
            article_id=article,
            title=f"Article {article}",
            url=f"https://help.example.com/hc/en-us/articles/{article}",
            locale="en-us",
            visibility="everyone",
            score=score,
        )
        for article, score in scores
    )
    return Triage(analysis=ANALYSIS, engine="rules", suggestions=suggestions)


def found_with_first(article: int) -> TicketCues:
    hit = Hit(
        article, article, f"Article {article}", f"https://h/{article}", "de-de", "everyone", 1
    )
    first = Candidate(hit, 0.0, 0, 0.6, 1, 0.6, 1.0, 0.5)
    found = cues(TICKET.subject, TICKET.description)
    return replace(found, gate=GateInput(first, (0.0, 0.0, 0.0), ()))


def where(confirm: Gate) -> Circumstances:
    return Circumstances(
        mode="send",
        threshold=0.9,
        escalated=False,
        requester_is_agent=False,
        requester_answered_at=None,
        answered_here=False,
        now=0.0,
        prefix="ai_",
        calibration=CALIBRATION,
        confirm=confirm,
    )


def body(article_id: int, locale: str) -> str:
    return f"<p>Article {article_id}: open Settings, then Appearance, and choose Dark.</p>"


@pytest.mark.parametrize("suggested", [(), ((9, 0.1),)], ids=["no_article", "unsure"])
def test_the_vectors_article_is_sent_where_the_gate_alone_is_sure(
    suggested: tuple[tuple[int, float], ...],
) -> None:
    found = found_with_first(4)
    plan, reason = decide(TICKET, triage(*suggested), found, where(sure_gate(GATE_ALONE_AT)), body)
    assert reason is None
    assert plan is not None
    assert plan.article_id == 4
    assert plan.probability == GATE_ALONE_AT


def test_below_the_gate_alone_the_calibration_says_why() -> None:
    unsure = sure_gate(0.95)
    found = replace(found_with_first(4), asks=False)  # tells what happened, asks nothing
    assert decide(TICKET, triage(), found, where(unsure), body) == (None, "no_article")
    assert decide(TICKET, triage((9, 0.1)), found, where(unsure), body) == (
        None,
        "below_threshold",
    )
    # The calibration sure of article 9, the vectors' first article another one.
    assert decide(TICKET, triage((9, 0.5)), found, where(unsure), body) == (None, "unconfirmed")


def test_a_confirmed_calibration_article_is_sent_as_before() -> None:
    found = found_with_first(9)
    plan, reason = decide(TICKET, triage((9, 0.5)), found, where(sure_gate(0.6)), body)
    assert reason is None
    assert plan is not None
    assert plan.article_id == 9
    assert plan.probability == 0.95


def test_a_question_is_sent_from_question_at_and_a_statement_is_not() -> None:
    found = found_with_first(4)
    assert found.asks  # "Wie schalte ich die App auf dunkel?"
    plan, reason = decide(TICKET, triage(), found, where(sure_gate(QUESTION_AT)), body)
    assert reason is None
    assert plan is not None
    assert plan.article_id == 4
    statement = replace(found, asks=False)
    assert decide(TICKET, triage(), statement, where(sure_gate(QUESTION_AT)), body) == (
        None,
        "no_article",
    )
    below = sure_gate(QUESTION_AT - 0.01)
    assert decide(TICKET, triage(), found, where(below), body) == (None, "no_article")
