"""The running summary as the run sees it: its settings and its step (``steps.feature``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import SPAM_KINDS
from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep


@dataclass(frozen=True)
class SummaryValues:
    summary_field: str | None
    agent_language: str
    tag_prefix: str


def summary_steps(values: SummaryValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The summary's step when ``TICKETBOT_SUMMARY_FIELD`` names a field; off, nothing of it is
    imported."""
    if not values.summary_field:
        return []
    from .step import SummaryStep

    return [
        SummaryStep(
            values.summary_field,
            complete=run.text_writer(),
            language=values.agent_language,
            held_tags=[f"{values.tag_prefix}{kind}" for kind in SPAM_KINDS],
        )
    ]


FEATURE = Feature("summary", SummaryValues, steps=summary_steps)
