"""The spam gate's pass: the batch's verdicts in one ``spam_judged`` event, for the log and the
report (without an LLM, with how many tickets the head read and how many it was spared), and
the gate's caution (``passes.caution``) when it spared known customers a guess.
Each ticket is judged as it is triaged (``SpamGate.judge``, from the run's ticket flow, before
its change is planned: routing, answers and incidents read the verdict).

The caution is about events, not a state: the run's line counts this run's known customers, and
``ticketbot health`` counts the last 24 hours' from the ``spam_judged`` events (``known``), so a
quiet run after a held-back one does not make it vanish."""

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
        reads = self.gate.reads()
        if not tally and not any(reads.values()):
            return
        suggested = tally.pop("suggested", 0)
        known = tally.pop(KNOWN_TALLY, 0)
        if known:
            say(end.summary, known_customers(known, when="in this run"))
        if tally or suggested:
            end.summary.said[self.name] = verdicts_line(tally, suggested, dry_run=not end.writes)
        # Without an LLM: how many tickets the head read (an encoder pass each) and how many
        # it was spared, so a run says what the encoder cost it.
        spent = reads if any(reads.values()) else {}
        end.log.emit(
            "spam_judged",
            applied=tally,
            suggested=suggested,
            known=known,
            dry_run=end.dry_run,
            **spent,
        )


def verdicts_line(applied: dict[str, int], suggested: int, *, dry_run: bool) -> str:
    """The run's line: ``spam gate: 3 gated (auto_sender 1, phishing 2), 1 suggested``. A team's
    first runs are when it checks the gate's verdicts, and the tags alone do not add up."""
    gated = sum(applied.values())
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(applied.items()) if count)
    verb = "would gate" if dry_run else "gated"
    head = f"spam gate: {gated} {verb}" + (f" ({kinds})" if kinds else "")
    return f"{head}, {suggested} suggested"


def known_customers(count: int, *, when: str) -> Caution:
    """Suggest-only for known customers: the head's guess alone never gates one, so a team sees
    on its first runs why mail the head calls spam was only suggested. ``when``: the span the
    count covers (``in this run``, ``in the last 24 h``)."""
    whose = "1 known customer's ticket" if count == 1 else f"{count} known customers' tickets"
    return Caution(
        "spam",
        "suggest-only for known customers",
        "until the helpdesk flags the mail or the LLM agrees",
        f"{whose} {when} the learned model alone would have gated",
    )
