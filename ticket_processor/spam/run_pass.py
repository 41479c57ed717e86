"""The spam gate's pass: the batch's verdicts in one ``spam_judged`` event, for the log and the
report (without an LLM, with how many tickets the head read and how many it was spared), and
the gate's caution (``passes.caution``) when it spared known customers a guess.

The run's line counts what the run tagged: the tickets gated (by kind) and suggested, and the
gated tickets whose verdict a customer's reply lifted, and names them, as ``ticketbot report``
and the dashboard do; a run whose gate judged tickets and tagged none says so too
(``spam gate: 0 gated, 0 suggested``). A gated ticket's reply judged again tags nothing new
and is not counted as a suggestion.

Each ticket is judged as it is triaged (``SpamGate.judge``, from the run's ticket flow, before
its change is planned: routing, answers and incidents read the verdict).

The caution is about events, not a state: the run's line counts this run's known customers, and
``ticketbot health`` counts the last 24 hours' from the ``spam_judged`` events (``known``), so a
quiet run after a held-back one does not make it vanish."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..models import SPAM_KINDS
from ..passes.caution import Caution, say
from ..passes.protocol import Pass, RunEnd
from .gate import KNOWN_TALLY, SpamGate

# Tickets the run's line names per verdict before "and N more" (the event has them all).
SHOWN = 10


class SpamRunPass(Pass):
    name = "spam"

    def __init__(self, gate: SpamGate) -> None:
        self.gate = gate

    def plan(self, end: RunEnd) -> None:
        tally = self.gate.tally()
        reads = self.gate.reads()
        judged = self.gate.judged()
        if not tally and not any(reads.values()) and not judged:
            return
        suggested = tally.pop("suggested", 0)
        known = tally.pop(KNOWN_TALLY, 0)
        lifted = tally.pop("lifted", 0)
        tickets = {k: v for k, v in self.gate.tickets().items() if k != KNOWN_TALLY}
        if known:
            say(end.summary, known_customers(known, when="in this run"))
        # Said whenever the gate judged a ticket, "0 gated, 0 suggested" too: on a first day a
        # team checks that the gate read the mail it expected it to, not only what it tagged.
        if tally or suggested or lifted or judged:
            end.summary.said[self.name] = verdicts_line(
                tally, suggested, dry_run=not end.writes, lifted=lifted, tickets=tickets
            )
        # Without an LLM: how many tickets the head read (an encoder pass each) and how many
        # it was spared, so a run says what the encoder cost it.
        spent = reads if any(reads.values()) else {}
        end.log.emit(
            "spam_judged",
            applied=tally,
            suggested=suggested,
            lifted=lifted,
            tickets=tickets,
            known=known,
            dry_run=end.dry_run,
            **spent,
        )


def verdicts_line(
    applied: Mapping[str, int],
    suggested: int,
    *,
    dry_run: bool,
    lifted: int = 0,
    tickets: Mapping[str, Sequence[int]] | None = None,
) -> str:
    """The run's line: ``spam gate: 3 gated (auto_sender 1, phishing 2), 1 suggested, 1 lifted``
    and, given ``tickets`` (by verdict: a kind, ``suggested``, ``lifted``), which ones
    (``: gated #4, #7, #9; suggested #12; lifted #2``). A team's first runs are when it checks
    the gate's verdicts, and the tags alone do not add up."""
    gated = sum(applied.values())
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(applied.items()) if count)
    verb = "would gate" if dry_run else "gated"
    head = f"spam gate: {gated} {verb}" + (f" ({kinds})" if kinds else "")
    line = f"{head}, {suggested} suggested" + (f", {lifted} lifted" if lifted else "")
    if not tickets:
        return line
    named = {
        "gated": sorted(t for kind in SPAM_KINDS for t in tickets.get(kind, ())),
        "suggested": sorted(tickets.get("suggested", ())),
        "lifted": sorted(tickets.get("lifted", ())),
    }
    parts = [f"{what} {_bounded(ids)}" for what, ids in named.items() if ids]
    return f"{line}: {'; '.join(parts)}" if parts else line


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


def _bounded(ids: Sequence[int]) -> str:
    """``#4, #7 and 3 more``: at most ``SHOWN`` tickets named."""
    named = ", ".join(f"#{t}" for t in ids[:SHOWN])
    return named + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
