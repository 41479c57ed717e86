"""The risk's pass: the run's levels in one ``risk_scored`` event, for the log and the report.
Each ticket is scored as it is triaged (``RiskScorer.judge``, from the run's ticket flow and
the replies' re-triage, before its change is planned: routes and tags read the level)."""

from __future__ import annotations

from ..passes.protocol import Pass, RunEnd
from .scorer import RiskScorer


class RiskRunPass(Pass):
    name = "risk"

    def __init__(self, scorer: RiskScorer) -> None:
        self.scorer = scorer

    def plan(self, end: RunEnd) -> None:
        tally = self.scorer.tally()
        if tally:
            end.log.emit(
                "risk_scored",
                levels=tally,
                source="learned" if self.scorer.head is not None else "rules",
                dry_run=end.dry_run,
            )
