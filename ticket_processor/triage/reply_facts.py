"""How a customer's reply moved the triage: the facts routes match on for a reply
(``sentiment_change``, ``urgency_change``) and the report counts. Pure.

The labels before the reply are the ones ticketbot stands by (its latest note's trailer, read
by the write-back layer); the reply's own triage says where they are now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..models import Sentiment, Triage, Urgency

_SENTIMENT_RANK = {Sentiment.NEGATIVE.value: 0, Sentiment.NEUTRAL.value: 1, "positive": 2}
# low 0 ... critical 3: how urgent an urgency is, for "did it rise".
URGENCY_RANK = {u.value: rank for rank, u in enumerate(reversed(list(Urgency)))}


@dataclass(frozen=True)
class ReplyFacts:
    """What routes may match on for a reply: how the sentiment and the urgency moved."""

    sentiment_change: str  # worse | better | unchanged
    urgency_change: str  # higher | lower | unchanged


def reply_facts(before: Mapping[str, str], triage: Triage | None) -> ReplyFacts:
    """How the reply moved the sentiment and the urgency (``unchanged`` when not judged)."""
    if triage is None:
        return ReplyFacts("unchanged", "unchanged")
    analysis = triage.analysis
    return ReplyFacts(
        sentiment_move(before.get("sentiment"), analysis.sentiment.value),
        _move(URGENCY_RANK, before.get("urgency"), analysis.urgency.value, "higher", "lower"),
    )


def sentiment_move(old: str | None, new: str) -> str:
    """``better``, ``worse`` or ``unchanged``: how a sentiment moved (also for the report)."""
    return _move(_SENTIMENT_RANK, old, new, "better", "worse")


def _move(ranks: Mapping[str, int], old: str | None, new: str, up: str, down: str) -> str:
    if old is None or old not in ranks or ranks[old] == ranks[new]:
        return "unchanged"
    return up if ranks[new] > ranks[old] else down
