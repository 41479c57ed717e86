"""Answering the customer as the run's per-ticket step (``answering.RunAnswers`` does the work):
the ticket's cues read while its body is held, its answer planned into its change (never for a
ticket the spam gate set aside or suggested as spam), the announced replies sent once the notes
are written, and a customer's reply to an automated answer followed up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import TicketBotError
from ..models import Ticket, Triage, WriteBack, is_spam
from ..passes.caution import say
from ..passes.types import RunSummary
from ..steps.protocol import Price, Step
from ..steps.shown import Shown, ShownRow
from ..triage.prepare import PreparedTicket
from .answering import RunAnswers
from .explain import reason_words
from .plan import TicketCues

# The page shows text as written (no markup): the command is named in plain words.
HELD_NOTE = (
    "this run sent the customer no automated reply; ticketbot answers explain, given the "
    "ticket's id, shows the articles it weighed"
)


class AnswersStep(Step):
    name = "answers"

    def __init__(self, answers: RunAnswers) -> None:
        self.answers = answers

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> TicketCues:
        return self.answers.cues(ticket)

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        if is_spam(triage) or not isinstance(reading, TicketCues):
            return writeback
        if triage.spam is not None and triage.spam.decision == "suggest":
            # The gate's guess about a stranger's mail (``spam.gate.verdict``): no automated
            # reply goes to what may be a phisher; a person reads it first.
            return writeback
        return self.answers.attach(
            ticket, triage, writeback, reading, replanned=replanned, language=language
        )

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        """The planned reply's text: ``drafted`` (the review queue lists it) or ``planned``;
        or why the run refused it (``answer_refused``), with the mode it was decided in."""
        plan = self.answers.plan_of(ticket_id)
        if plan is None:
            refused = self.answers.refusal_of(ticket_id)
            if refused is None:
                return {}
            # What held the answer back, in the mode the run had: ``answers explain`` says it.
            return {"answer_refused": refused[0], "answer_mode": refused[1]}
        return {
            "answer": plan.body,
            "answer_state": "drafted" if plan.delivery == "draft" else "planned",
            "answer_mode": plan.delivery,
        }

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        """The ticket page's section when the run held the customer's reply back: why, in
        words, and the mode it was decided in (a planned answer's text is the page's own)."""
        refused = fields.get("answer_refused")
        if not isinstance(refused, str) or not refused:
            return None
        mode = fields.get("answer_mode")
        row = ShownRow(reason_words(refused), refused, f"answer mode {mode}" if mode else "")
        # Not a source an agent answers from: ``report`` still counts a ticket held back for
        # want of an article among the articles to write.
        return Shown(self.name, "Answer held back", HELD_NOTE, (row,), source=False)

    def on_reply(self, ticket: Ticket, kind: str) -> None:
        # A reply to an automated answer: a thank-you resolves it, else people take over.
        try:
            self.answers.after_reply(ticket, kind)
        except TicketBotError as exc:
            self.answers.log.emit(
                "answer_followup_failed", level="warning", ticket_id=ticket.id, error=str(exc)
            )

    def after_writes(self, should_stop: Callable[[], str | None]) -> None:
        # The triage notes announcing the replies are written: send them, once each.
        self.answers.send_pending(should_stop)
        self.answers.judge_drafts()
        self.answers.settle_sent()

    def totals(self, summary: RunSummary, price: Price) -> None:
        counts = self.answers.counts
        summary.answers = counts.totals()
        summary.answers_refused = dict(sorted(counts.refused.items()))
        if self.answers.dry_run or self.answers.shadow:  # nothing sent: what a real run sends
            summary.answers["would_send"] = counts.planned
        summary.answer_texts = list(counts.texts)
        lost = sorted(self.answers.book.lost)
        if lost:
            # The book was swapped for an older copy mid-run: what it wrote is back, and said.
            summary.warnings.append(
                f"the answers' book ({self.answers.book.path}) was replaced during the run by an "
                f"older or empty copy: the entries this run wrote for {len(lost)} tickets were put "
                "back (replies announced in their notes are sent); check what replaces the file"
            )
            self.answers.log.emit(
                "answers_book_replaced", level="warning", tickets=lost[:100], count=len(lost)
            )
        caution = self.answers.caution()
        if caution is not None:
            say(summary, caution)
        for model, prompt, completion in counts.llm_usage:  # the second opinions' calls
            summary.prompt_tokens += prompt
            summary.completion_tokens += completion
            summary.cost_usd += price(model, prompt, completion)
