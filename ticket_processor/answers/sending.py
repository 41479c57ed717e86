"""The planned replies sent once the notes announcing them are written (``deliver.send_once``
for each, read again right before it goes out).

The scheduled run sends every reply the answers' book holds: its own, and those a killed run or
``ticketbot serve`` left planned. ``serve`` sends only the replies it planned itself (the run's
wait for the run's notes; reading their conversations at every served write batch would spend
the helpdesk's budget on nothing). Both may hold one plan at once, so each reply is sent under
the ticket's write claim (``state.claims``, which the writers of every ticketbot process on the
state directory share): the second sender reads the conversation after the first has sent and
finds the reply there, never sending it again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..common.eventlog import EventSink
from ..errors import HelpdeskError, TicketBotError
from ..writeback.wording import DEFAULT_LANGUAGE, wording
from .book import AnswerBook
from .deliver import AnswerDesk, Delivered, answer_tags, send_once
from .vocab import AnswerPlan

if TYPE_CHECKING:
    from ..writeback.batch_writer import WriteClaims

# A planned reply whose triage write never landed is given up after this long.
WAIT_SECONDS = 24 * 3600
# The cancellations that leave a line on the ticket: its note announced a reply that a person's
# action since has stopped.
NOTED: tuple[Delivered, ...] = ("agent_answered", "assigned")


@dataclass(frozen=True)
class Settled:
    """A planned reply whose fate is decided: sent (or found sent), or cancelled."""

    plan: AnswerPlan
    outcome: Delivered


class PlannedReplies:
    """Sends the book's planned replies, once each."""

    def __init__(
        self,
        book: AnswerBook,
        desk: AnswerDesk,
        *,
        prefix: str,
        marker: str,
        log: EventSink,
        now: Callable[[], float],
        claims: WriteClaims | None = None,
        note_language: Callable[[int], str] = lambda _ticket_id: DEFAULT_LANGUAGE,
    ) -> None:
        self.note_language = note_language
        self.book = book
        self.desk = desk
        self.prefix = prefix
        self.marker = marker
        self.log = log
        self.now = now
        self.claims = claims

    def send(
        self, should_stop: Callable[[], str | None], only: Collection[int] | None = None
    ) -> list[Settled]:
        """Send what is planned (``only``: of those tickets); what was settled."""
        settled: list[Settled] = []
        for plan, state, at in self.book.planned():
            if should_stop() is not None:
                break
            if only is not None and plan.ticket_id not in only:
                continue
            done = self._one(plan, state, at)
            if done is not None:
                settled.append(done)
        return settled

    def _claimed(self, ticket_id: int) -> AbstractContextManager[object]:
        return self.claims.hold([ticket_id]) if self.claims is not None else nullcontext()

    def _one(self, plan: AnswerPlan, state: str, at: float) -> Settled | None:
        fields = {"ticket_id": plan.ticket_id, "category": plan.category}
        fields["article_id"] = plan.article_id
        try:
            with self._claimed(plan.ticket_id):
                if not self.book.is_planned(plan.ticket_id):
                    return None  # another process settled it while this one waited
                if state != "sending":
                    self.book.sending(plan.ticket_id)  # journalled before the reply goes out
                done = send_once(self.desk, plan, prefix=self.prefix, marker=self.marker)
                outcome = done.outcome
                if outcome in ("sent", "finished"):
                    self.book.sent(plan, self.now())
                elif outcome != "waiting":
                    self.book.drop(plan.ticket_id)
        except (HelpdeskError, TicketBotError) as exc:
            # Unknown fate or refused: the entry stays; the next run reads before it sends.
            self.log.emit(
                "answer_failed",
                level="warning",
                ticket_id=plan.ticket_id,
                error_type=type(exc).__name__,
                error=str(exc)[:300],
            )
            return None
        if outcome in ("sent", "finished"):
            self.log.emit(
                "answer_sent",
                recovered=outcome == "finished",
                # What a revert restores: the status the reply found (a recovered reply's is
                # the one ticketbot set, so a revert leaves it).
                previous_status=done.before if outcome == "sent" else None,
                tags_added=list(answer_tags(plan, self.prefix)),
                reply_id=done.reply_id,
                **fields,
            )
            return Settled(plan, outcome)
        if outcome == "waiting":
            if self.now() - at > WAIT_SECONDS:
                self.book.drop(plan.ticket_id)
                self.log.emit("answer_cancelled", reason="never_triaged", **fields)
            return None
        noted = self._say_not_sent(plan, outcome)
        self.log.emit("answer_cancelled", reason=outcome, note=noted, **fields)
        return Settled(plan, outcome)

    def _say_not_sent(self, plan: AnswerPlan, outcome: Delivered) -> bool:
        """One internal note line on the ticket: the reply its note announced was not sent, and
        why (an agent replied, or the ticket was assigned, after the note was written). A
        solved or closed ticket gets none: its agents are done with it."""
        if outcome not in NOTED:
            return False
        words = wording(self.note_language(plan.ticket_id))
        line = words.say(
            "reply_not_sent", article=plan.article_id, why=words.say(f"not_sent_{outcome}")
        )
        try:
            self.desk.set_status(plan.ticket_id, None, note=f"ticketbot: {line}")
        except TicketBotError as exc:
            self.log.emit(
                "answer_cancel_note_failed",
                level="warning",
                ticket_id=plan.ticket_id,
                error=str(exc)[:300],
            )
            return False
        return True
