"""The spam gate as the run's per-ticket step: each new ticket read while its body is held,
judged after its triage (before its change is planned: routing, answers and incidents read the
verdict), and a gated ticket's next message judged again."""

from __future__ import annotations

from typing import Any

from ..models import Ticket, Triage, is_spam
from ..passes.protocol import RunPass
from ..steps.protocol import ReplyView, Step, StepRun
from ..triage.prepare import PreparedTicket
from .cues import judged_spam
from .gate import SpamGate
from .reading import SpamReading, read_ticket
from .run_pass import SpamRunPass


class SpamStep(Step):
    """``gate``: None when the gate is off (``TICKETBOT_SPAM_GATE=false``): a ticket it set
    aside before still holds its automatic replies and thank-yous (nothing to re-triage), and
    nothing new is judged."""

    name = "spam"

    def __init__(self, gate: SpamGate | None, *, prefix: str, max_tokens: int) -> None:
        self.gate = gate
        self.prefix = prefix
        self.max_tokens = max_tokens

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> SpamReading | None:
        # The sender's own words apart from what they forward, read before the body goes.
        return self.gate.read(ticket, self.max_tokens) if self.gate is not None else None

    def keep(self, reading: Any) -> None:
        return None  # the verdict is the triage's: a re-plan reads that, not the text

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        if self.gate is None or not isinstance(reading, SpamReading):
            return triage
        return self.gate.judge(ticket, reading, triage)

    def holds_reply(self, ticket: Ticket, kind: str) -> bool:
        # A ticket the gate set aside may have been a customer's after all: only their next
        # actionable message is judged again (a phisher's or a machine's next mail, an
        # automatic reply, a thank-you: nothing to do).
        return kind != "actionable" and judged_spam(ticket.tags, self.prefix)

    def judge_reply(self, reply: ReplyView, triage: Triage) -> Triage | None:
        """A gated ticket's actionable reply is re-triaged unless the gate sets it aside
        again; the triage itself is left as the engines gave it."""
        if self.gate is None or not judged_spam(reply.ticket.tags, self.prefix):
            return triage
        reading = read_ticket("", reply.text, max_tokens=self.max_tokens)
        return None if is_spam(self.gate.judge(reply.ticket, reading, triage)) else triage

    def run_pass(self, run: StepRun) -> RunPass | None:
        return SpamRunPass(self.gate) if self.gate is not None else None
