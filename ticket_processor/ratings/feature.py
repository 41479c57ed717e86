"""The ratings as the run sees them (``steps.feature``): the customers' ratings read in their
pass, the agents' feedback tags on every ticket the run reads; and their part of ``report``
(``ratings.command``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..passes.protocol import RunPass
from ..steps.feature import Feature, PassRun, ReportAsk, ReportPart
from .customers import CustomersPass
from .tags import observe_ratings


@dataclass(frozen=True)
class RatingsValues:
    customer_ratings_every: float
    state_dir: Path


def ratings_pass(values: RatingsValues, run: PassRun) -> RunPass:
    return CustomersPass(
        run.helpdesk.outcomes, values.state_dir, every=values.customer_ratings_every
    )


def ratings_report(ask: ReportAsk) -> ReportPart:
    from .command import ratings_report

    return ratings_report(ask)


# The agents' feedback tags are read off every ticket the run lists (no request of their own).
FEATURE = Feature(
    "ratings",
    RatingsValues,
    run_pass=ratings_pass,
    sees=observe_ratings,
    report=ratings_report,
)
