"""The SLA watch as the run sees it: its settings and its pass (``steps.feature``): the cron
run's, not a backfill's; its escalations go out with the routes' (``steps.feature.Escalating``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..passes.protocol import RunPass
from ..steps.feature import Feature, PassRun


@dataclass(frozen=True)
class SlaValues:
    sla: bool
    sla_horizon: float
    agent_language: str
    state_dir: Path


def sla_pass(values: SlaValues, run: PassRun) -> RunPass | None:
    """The SLA pass when ``TICKETBOT_SLA`` is on; off, nothing of it is imported."""
    if not values.sla or run.backfill:
        return None
    from ..helpdesks.registry import KINDS
    from .run_pass import SlaPass

    kind = KINDS.get(run.helpdesk.kind)
    return SlaPass(
        run.helpdesk,
        kind.sla_reader() if kind is not None else None,
        values.state_dir,
        horizon=values.sla_horizon,
        prefix=run.options.prefix,
        language=values.agent_language,
        routes=run.routes,
        journal=run.journal,
        claims=run.claims,
        should_stop=run.should_stop,
    )


FEATURE = Feature("sla", SlaValues, run_pass=sla_pass)
