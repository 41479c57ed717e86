"""The rules' risk, when no head was learned from the helpdesk's outcomes. Pure.

The rule, a logistic score (``p = 1 / (1 + e^-z)``) with hand-set weights:

    z = -2.4
        + 1.4  if the sentiment is negative,  - 0.7 if positive
        + 0.5  per urgency step above low (medium 0.5, high 1.0, critical 1.5)
        + 0.8  if the sentiment trend went down at the last message
        + 0.4  per earlier negative message in the trend (at most 3)
        + 0.35 per contact beyond the first (at most 4)
        + 0.3  per doubling of the days the ticket has waited (log2(1 + days), at most 3)

A neutral, low-urgency first message scores 0.08 (low); a negative, high-urgency one 0.50
(medium); a negative, critical one whose customer wrote a third time, worse than before, 0.88
(high). The levels: ``high`` from 0.6, ``medium`` from 0.3 (``LEVELS``). The weights were set
by hand, not fitted: ``learn --from-helpdesk`` fits a head on the helpdesk's own outcomes,
and docs/explanation/measurements/risk.md gives both's AUC on held-out tickets.
"""

from __future__ import annotations

import math

from ..models import RiskLevel
from .inputs import FEATURES, RiskInputs

BIAS = -2.4
WEIGHTS = (1.4, -0.7, 0.5, 0.8, 0.4, 0.35, 0.3)
MEDIUM_AT, HIGH_AT = 0.3, 0.6
_SAID = {
    "negative": "negative sentiment",
    "positive": "positive sentiment",
    "urgency": "urgency",
    "worse": "sentiment worse than the message before",
    "negatives_in_trend": "negative messages before",
    "repeat_contacts": "the customer wrote again",
    "waiting_days": "waiting",
}


def level_of(
    probability: float, medium_at: float = MEDIUM_AT, high_at: float = HIGH_AT
) -> RiskLevel:
    if probability >= high_at:
        return "high"
    return "medium" if probability >= medium_at else "low"


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def reasons_of(inputs: RiskInputs, contributions: list[float], limit: int = 3) -> tuple[str, ...]:
    """The main reasons: the features that raised the score most, said as the note says them."""
    ranked = sorted((c, name) for c, name in zip(contributions, FEATURES, strict=True) if c > 0.05)[
        ::-1
    ][:limit]
    said = []
    for _, name in ranked:
        if name == "urgency":
            said.append(f"urgency {inputs.urgency}")
        elif name == "repeat_contacts":
            said.append(f"the customer's message {inputs.contacts} on this ticket")
        elif name == "waiting_days":
            said.append(f"open {inputs.waiting_hours / 24:.1f} days")
        elif name == "negatives_in_trend":
            said.append(f"sentiment trend {' → '.join(inputs.trend)}")
        else:
            said.append(_SAID[name])
    return tuple(said)


def rules_risk(inputs: RiskInputs) -> tuple[float, tuple[str, ...]]:
    """(the probability, its main reasons)."""
    values = inputs.vector()
    contributions = [w * v for w, v in zip(WEIGHTS, values, strict=True)]
    return sigmoid(BIAS + sum(contributions)), reasons_of(inputs, contributions)
