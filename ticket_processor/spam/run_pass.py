"""The spam gate's pass: the batch's verdicts in one ``spam_judged`` event, for the log and the
report, and the gate's caution (``passes.caution``) when it spared known customers a guess.
Each ticket is judged as it is triaged (``SpamGate.judge``, from the run's ticket flow, before
its change is planned: routing, answers and incidents read the verdict)."""

from __future__ import annotations

from ..passes.caution import Caution, say
from ..passes.protocol import Pass, RunEnd
from .gate import KNOWN_TALLY, SpamGate


class SpamRunPass(Pass):
    name = "spam"

    def __init__(self, gate: SpamGate) -> None:
        self.gate = gate

    def plan(self, end: RunEnd) -> None:
        tally = self.gate.tally()
        if not tally:
            return
        suggested = tally.pop("suggested", 0)
        known = tally.pop(KNOWN_TALLY, 0)
        if known:
            say(end.summary, known_customers(known))
        end.log.emit(
            "spam_judged",
            applied=tally,
            suggested=suggested,
            dry_run=end.dry_run,
        )


def known_customers(count: int) -> Caution:
    """Suggest-only for known customers: the head's guess alone never gates one, so a team sees
    on its first runs why mail the head calls spam was only suggested."""
    tickets = "ticket" if count == 1 else "tickets"
    return Caution(
        "spam",
        "suggest-only for known customers",
        "until the helpdesk flags the mail or the LLM agrees",
        f"{count} known customers' {tickets} the learned model alone would have gated",
    )
