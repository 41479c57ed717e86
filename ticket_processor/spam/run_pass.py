"""The spam gate's pass: the batch's verdicts in one ``spam_judged`` event, for the log and the
report. Each ticket is judged as it is triaged (``SpamGate.judge``, from the run's ticket
flow, before its change is planned: routing, answers and incidents read the verdict)."""

from __future__ import annotations

from ..passes.protocol import Pass, RunEnd
from .gate import SpamGate


class SpamRunPass(Pass):
    name = "spam"

    def __init__(self, gate: SpamGate) -> None:
        self.gate = gate

    def plan(self, end: RunEnd) -> None:
        tally = self.gate.tally()
        if not tally:
            return
        suggested = tally.pop("suggested", 0)
        end.log.emit(
            "spam_judged",
            applied=tally,
            suggested=suggested,
            dry_run=end.dry_run,
        )
