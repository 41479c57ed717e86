"""What the risk of a ticket is judged from, all known when it is triaged. Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..models import Triage

URGENCY_STEP = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_SENTIMENT_RANK = {"negative": 0, "neutral": 1, "positive": 2}
# The head's structured features, in the order of its weights after the text's.
FEATURES = (
    "negative",
    "positive",
    "urgency",
    "worse",
    "negatives_in_trend",
    "repeat_contacts",
    "waiting_days",
)


@dataclass(frozen=True)
class RiskInputs:
    """``trend``: the sentiment per customer message, oldest first (the first triage: one);
    ``contacts``: the customer's messages on the ticket (1 for a first message);
    ``waiting_hours``: since the ticket was opened."""

    sentiment: str
    urgency: str
    trend: tuple[str, ...] = ()
    contacts: int = 1
    waiting_hours: float = 0.0

    @property
    def worse(self) -> bool:
        """The last two sentiments of the trend went down."""
        if len(self.trend) < 2:
            return False
        return _SENTIMENT_RANK.get(self.trend[-1], 1) < _SENTIMENT_RANK.get(self.trend[-2], 1)

    def vector(self) -> list[float]:
        """``FEATURES``' values, each about 0..3."""
        negatives = sum(1 for s in self.trend[:-1] if s == "negative")
        return [
            float(self.sentiment == "negative"),
            float(self.sentiment == "positive"),
            float(URGENCY_STEP.get(self.urgency, 1)),
            float(self.worse),
            float(min(negatives, 3)),
            float(min(max(self.contacts - 1, 0), 4)),
            min(math.log2(1 + self.waiting_hours / 24), 3.0),
        ]


def waiting_hours(created_at: str | None, now: datetime) -> float:
    """Hours since ``created_at`` (an ISO time); 0 when the helpdesk gave none."""
    if not created_at:
        return 0.0
    try:
        opened = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if opened.tzinfo is None:
        return 0.0
    return max((now - opened).total_seconds() / 3600, 0.0)


def inputs_of(
    triage: Triage,
    *,
    trend: Sequence[str] = (),
    contacts: int = 1,
    waited: float = 0.0,
) -> RiskInputs:
    analysis = triage.analysis
    sentiment = analysis.sentiment.value
    return RiskInputs(
        sentiment,
        analysis.urgency.value,
        tuple(trend) or (sentiment,),
        contacts,
        waited,
    )
