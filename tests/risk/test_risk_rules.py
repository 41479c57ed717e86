"""The risk's pure parts: the rules' stated examples, the levels, AUC and ECE against
hand-computed values, a head's JSON round trip, and no risk on a ticket no customer wrote."""

from __future__ import annotations

import numpy as np
import pytest

from ticket_processor.models import Analysis, Sentiment, SpamVerdict, Ticket, Triage, Urgency
from ticket_processor.risk.fit import auc, ece
from ticket_processor.risk.head import RiskHead
from ticket_processor.risk.inputs import FEATURES, RiskInputs
from ticket_processor.risk.rules import level_of, rules_risk
from ticket_processor.risk.scorer import RiskScorer


def _triage(sentiment: str, urgency: str) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=Urgency(urgency),
        sentiment=Sentiment(sentiment),
        language="en",
        summary="",
        confidence=0.9,
    )
    return Triage(analysis=analysis, engine="rules")


@pytest.mark.parametrize(
    ("inputs", "probability", "level"),
    [
        (RiskInputs("neutral", "low"), 0.083, "low"),
        (RiskInputs("negative", "high"), 0.5, "medium"),
        (RiskInputs("negative", "critical", ("neutral", "neutral", "negative"), 3), 0.881, "high"),
    ],
)
def test_the_rules_examples_the_docstring_states(
    inputs: RiskInputs, probability: float, level: str
) -> None:
    p, reasons = rules_risk(inputs)
    assert p == pytest.approx(probability, abs=0.001)
    assert level_of(p) == level
    assert all(isinstance(r, str) and r for r in reasons)


def test_auc_and_ece_against_hand_computed_values() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert auc([0.5, 0.5], [False, True]) == pytest.approx(0.5)  # a tie counts half
    assert auc([0.2, 0.3], [True, True]) is None
    # Two bins: 0.15 (one bad of two) and 0.85 (both bad): |0.15-0.5|/2 + |0.85-1|/2.
    assert ece([0.15, 0.15, 0.85, 0.85], [True, False, True, True]) == pytest.approx(0.25)


def test_a_head_survives_its_json() -> None:
    rng = np.random.default_rng(0)
    head = RiskHead(rng.normal(size=512), rng.normal(size=len(FEATURES)), -1.0, (1.2, -0.3))
    again = RiskHead.from_json(head.to_json())
    vectors, inputs = rng.normal(size=(3, 512)), rng.normal(size=(3, len(FEATURES)))
    assert np.allclose(head.probabilities(vectors, inputs), again.probabilities(vectors, inputs))


def test_a_ticket_no_customer_wrote_gets_no_risk() -> None:
    scorer = RiskScorer()
    angry = _triage("negative", "critical")
    ticket = Ticket(id=1, subject="x", description="y")
    assert scorer.judge(ticket, "x\ny", angry).risk is not None
    spam = angry.model_copy(
        update={"spam": SpamVerdict(kind="phishing", decision="apply", probability=0.99)}
    )
    assert scorer.judge(ticket, "x\ny", spam).risk is None


def test_a_reply_that_lifts_the_spam_verdict_starts_the_risk_trend() -> None:
    # The first message was a machine's (an out-of-office the gate set aside): its sentiment is
    # no customer's, so a "positive → negative" fall must not count toward the risk, as the
    # reply's note starts its trend at the reply (``writeback.reply_change``).
    from ticket_processor.models import Conversation
    from ticket_processor.risk.step import RiskStep
    from ticket_processor.steps.protocol import ReplyView
    from ticket_processor.triage.prepare import PreparedTicket

    ticket = Ticket(id=7, subject="Automatic reply", description="Out of office until Monday.")
    reply = ReplyView(
        ticket,
        Conversation(ticket, ()),
        "Someone is using my account right now, lock it!",
        PreparedTicket("Automatic reply", "Someone is using my account right now, lock it!"),
        trend=("positive",),
    )
    step = RiskStep(RiskScorer())
    lifted = SpamVerdict(kind="auto_sender", decision="lift", probability=0.1)
    replied = _triage("negative", "high")
    judged = step.judge_reply(reply, replied.model_copy(update={"spam": lifted}))
    assert judged is not None
    assert judged.risk is not None
    moved = ("trend", "than the message before")
    assert not any(m in r for r in judged.risk.reasons for m in moved), judged.risk
    # Not lifted, the same fall from the customer's own first message counts.
    kept = step.judge_reply(reply, replied)
    assert kept is not None
    assert kept.risk is not None
    assert "sentiment worse than the message before" in kept.risk.reasons, kept.risk
