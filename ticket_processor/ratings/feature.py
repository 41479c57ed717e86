"""The customers' ratings as the run sees them: their settings and their pass
(``steps.feature``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..passes.protocol import RunPass
from ..steps.feature import Feature, PassRun
from .customers import CustomersPass


@dataclass(frozen=True)
class RatingsValues:
    customer_ratings_every: float
    state_dir: Path


def ratings_pass(values: RatingsValues, run: PassRun) -> RunPass:
    return CustomersPass(
        run.helpdesk.outcomes, values.state_dir, every=values.customer_ratings_every
    )


FEATURE = Feature("ratings", RatingsValues, run_pass=ratings_pass)
