"""The risk as the run sees it: its settings and its step (``steps.feature``); and its commands'
parts, ``eval --risk`` and the head ``learn`` fits (``risk.command``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..learned import MODEL_FILE_NAME
from ..steps.feature import EvalAsk, Feature, FeatureRun, Learner
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


def eval_risk(ask: EvalAsk) -> None:
    from .command import eval_risk_command

    eval_risk_command(ask)


def learn_risk(*args: Any, **options: Any) -> object:
    """``learn --risk`` and ``learn --from-helpdesk``'s risk head (``command``)."""
    from .command import learn_risk_command

    return learn_risk_command(*args, **options)


FEATURE = Feature(
    "risk",
    RiskValues,
    steps=risk_steps,
    evals={"risk": eval_risk},
    learner=Learner("risk head", learn_risk),
)
