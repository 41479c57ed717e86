"""The spam gate as the run's per-ticket step: each new ticket read while its body is held,
judged after its triage (before its change is planned: routing, answers and incidents read the
verdict), and a gated ticket's next message judged again."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..models import SPAM_KINDS, SpamVerdict, Ticket, Triage, is_spam
from ..passes.protocol import RunPass
from ..steps.protocol import ReplyView, Step, StepRun
from ..triage.prepare import PreparedTicket
from .cues import judged_spam
from .gate import STRANGER_GUESS, SpamGate
from .reading import SpamReading, read_ticket
from .run_pass import SpamRunPass

# The longest body whose reading waits for the ticket's triage (characters): twice the text
# the LLM is given at the default budget, so an ordinary ticket's waits and a padded one is
# read at once.
_HELD_CHARS = 16_000


class SpamStep(Step):
    """``gate``: None when the gate is off (``TICKETBOT_SPAM_GATE=false``): a ticket it set
    aside before still holds its automatic replies and thank-yous (nothing to re-triage), and
    nothing new is judged."""

    name = "spam"

    def __init__(
        self, gate: SpamGate | None, *, prefix: str, max_tokens: int, read_late: bool = False
    ) -> None:
        self.gate = gate
        self.prefix = prefix
        self.max_tokens = max_tokens
        # Whether a reading waits for the triage: when an LLM triages, whose word may settle
        # the ticket. Without one the head reads every ticket, so there is nothing to save and
        # the reading stays where it was, made as the ticket is taken.
        self.read_late = read_late

    def read(
        self, ticket: Ticket, prepared: PreparedTicket
    ) -> SpamReading | Callable[[], SpamReading] | None:
        """The sender's own words apart from what they forward (``reading``), or, when the
        reading waits for the triage (``read_late``), what makes them when the gate first needs
        them: the gate takes an LLM's word that a customer wrote a ticket no sender cue marks,
        and reading its text (the lures, a redaction) would be work for nothing on most of an
        LLM run's tickets. A long body's words are taken now, before the run lets it go: held
        whole until the ticket's triage, ``workers + 300`` of them would be memory the run
        means not to hold."""
        gate = self.gate
        if gate is None:
            return None
        if not self.read_late:
            return gate.read(ticket, self.max_tokens)
        if len(ticket.description or "") > _HELD_CHARS:
            # Its words are taken now (the sender's own, cut to the LLM's budget: what the
            # reading would hold anyway) and read only if the gate needs them.
            return gate.take(ticket, self.max_tokens).reading
        return functools.partial(gate.read, ticket, self.max_tokens)

    def keep(self, reading: Any) -> None:
        return None  # the verdict is the triage's: a re-plan reads that, not the text

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        if self.gate is None or not (isinstance(reading, SpamReading) or callable(reading)):
            return triage
        return self.gate.judge(ticket, reading, triage)

    def holds_reply(self, ticket: Ticket, kind: str) -> bool:
        # A ticket the gate set aside may have been a customer's after all: only their next
        # actionable message is judged again (a phisher's or a machine's next mail, an
        # automatic reply, a thank-you: nothing to do).
        return kind != "actionable" and judged_spam(ticket.tags, self.prefix)

    def first_message_stands(self, ticket: Ticket) -> bool:
        # A gated ticket's first message is a machine's (an out-of-office reply, a bounce):
        # its requester's reply is judged alone, not beside words no customer wrote.
        return not judged_spam(ticket.tags, self.prefix)

    def judge_reply(self, reply: ReplyView, triage: Triage) -> Triage | None:
        """A gated ticket's actionable reply is set aside if the gate judges it no customer's
        again; else the gate's verdict is lifted (``SpamVerdict.lifted``: the reply's change
        takes the gate's tag away, ``writeback.reply_change``) and the reply is triaged as a
        customer's. A reply the gate would only suggest is a customer's here: a suggestion
        tags a new ticket, and this one is already tagged."""
        ticket = reply.ticket
        if self.gate is None or not judged_spam(ticket.tags, self.prefix):
            return triage
        reading = read_ticket("", reply.text, max_tokens=self.max_tokens)
        judged = self.gate.judge(ticket, reading, triage, counted=False)
        # The ticket's first mail proved its sender (a stranger is gated on proof alone): what
        # the gate would gate of their next mail but for proof, it sets aside too.
        held = judged.spam is not None and STRANGER_GUESS in judged.spam.reasons
        if is_spam(judged) or held:
            return None
        gated = [k for k in SPAM_KINDS if f"{self.prefix}{k}" in ticket.tags]
        lifted = SpamVerdict(
            kind=gated[0],
            decision="lift",
            probability=judged.spam.probability if judged.spam is not None else 0.0,
            reasons=("its requester wrote again as a customer",),
        )
        self.gate.lifted(ticket.id)
        return triage.model_copy(update={"spam": lifted})

    def run_pass(self, run: StepRun) -> RunPass | None:
        return SpamRunPass(self.gate) if self.gate is not None else None
