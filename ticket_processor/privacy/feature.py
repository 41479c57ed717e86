"""Privacy as the run sees it: its people step (``steps.feature``), whose each ticket is, for
``privacy export`` and ``privacy forget``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from .step import PeopleStep


@dataclass(frozen=True)
class PrivacyValues:
    state_dir: Path
    log_dir: Path


def privacy_steps(values: PrivacyValues, run: FeatureRun) -> Sequence[TicketStep]:
    return [PeopleStep(values.state_dir, values.log_dir)]


FEATURE = Feature("privacy", PrivacyValues, steps=privacy_steps)
