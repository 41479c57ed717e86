"""The risk as the run's per-ticket step: each triage scored before its change is planned
(routes and tags read the level), and scored again on a customer's reply with the thread's
sentiment trend and how often the customer wrote."""

from __future__ import annotations

from typing import Any

from ..models import Ticket, Triage
from ..passes.protocol import RunPass
from ..steps.protocol import ReplyView, Step, StepRun
from ..triage.prepare import PreparedTicket
from .run_pass import RiskRunPass
from .scorer import RiskScorer


class RiskStep(Step):
    name = "risk"

    def __init__(self, scorer: RiskScorer) -> None:
        self.scorer = scorer

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        return self.scorer.judge(ticket, f"{prepared.subject}\n{prepared.body}", triage)

    def judge_reply(self, reply: ReplyView, triage: Triage) -> Triage | None:
        prepared = reply.prepared
        # A reply that lifts the spam gate's verdict starts the trend (the first message's
        # sentiment was a machine's), as its note does (``writeback.reply_change``).
        lifted = triage.spam is not None and triage.spam.lifted
        before = () if lifted else reply.trend
        return self.scorer.judge(
            reply.ticket,
            f"{prepared.subject}\n{prepared.body}",
            triage,
            trend=(*before, triage.analysis.sentiment.value),
            contacts=reply.contacts,
        )

    def run_pass(self, run: StepRun) -> RunPass | None:
        return RiskRunPass(self.scorer)
