"""The risk as the run sees it: its settings and its step (``steps.feature``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..learned import MODEL_FILE_NAME
from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from .scorer import risk_scorer_for
from .step import RiskStep


@dataclass(frozen=True)
class RiskValues:
    learned_model: Path | None
    state_dir: Path


def risk_steps(values: RiskValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The risk on each triage: the head ``learn --from-helpdesk`` fitted beside the learned
    model (``risk.head``), else the rules."""
    return [RiskStep(risk_scorer_for(values.learned_model or values.state_dir / MODEL_FILE_NAME))]


FEATURE = Feature("risk", RiskValues, steps=risk_steps)
