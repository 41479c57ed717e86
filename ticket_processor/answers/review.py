"""A lead's verdict on a drafted answer, from the dashboard's review queue: sent as the public
reply through the answers' own sending path, or rejected.

``AnswerSender.send`` works under the run lock of the state directory (one writer at a time: a
run, ``serve`` or a review), reads the answers' book afresh there, and sends the draft (or the
lead's text instead) the way a run sends a planned reply: the book's entry fsync'd and marked
``sending`` before the reply goes out, then ``answers.deliver.send_once``, which reads the
conversation first and sends nothing when an agent has replied publicly, the ticket is solved,
closed or assigned, or it was answered already (a reply of ticketbot's already there is
finished, never sent twice). A second accept, or a run, that comes after finds the book's
``sent`` entry and sends nothing. The reply is logged as ``answer_sent`` under a run id of its
own (``ticketbot revert --run ID`` restores its status and tags; a mail cannot be unsent); the
draft is judged for the ``auto`` ladder (accepted as drafted, or not).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..common.eventlog import EventLog, new_run_id
from ..common.scrub import Scrubber
from ..errors import LockHeldError, TicketBotError
from ..models import Helpdesk
from ..state.lock import RunLock
from ..writeback.triage_change import marker_tag
from .book import AnswerBook
from .deliver import AnswerDesk, answer_tags, send_once
from .vocab import AnswerPlan

# The longest answer a lead may send instead of the draft (characters).
MAX_ANSWER = 10_000

# Why a draft was not sent, as the lead reads it, per ``send_once`` outcome.
REFUSED = {
    "agent_answered": "an agent has replied publicly since the draft",
    "assigned": "the ticket is assigned to an agent now",
    "closed": "the ticket is solved or closed",
    "answered_before": "the ticket was answered already",
    "gone": "the ticket no longer exists",
    "waiting": "the ticket's triage write is not on the helpdesk",
}


@dataclass(frozen=True)
class AnswerOutcome:
    ticket_id: int
    run_id: str
    # sent | refused (the ticket says no: it leaves the queue) | rejected (by the lead) |
    # None (nothing happened that lasts: a run holds the lock, the helpdesk failed, or the
    # answer was sent already by someone else)
    state: str | None
    reason: str | None = None
    reply_id: str | None = None


class AnswerSender:
    """Sends or rejects drafted answers on one helpdesk; ``connect`` opens it for each."""

    def __init__(
        self,
        connect: Callable[[], Helpdesk],
        *,
        state_dir: Path,
        log_dir: Path,
        prefix: str,
        secrets: Scrubber | tuple[str, ...] = (),
        now: Callable[[], float] = time.time,
    ) -> None:
        self._connect = connect
        self._state_dir = state_dir
        self._log_dir = log_dir
        self._prefix = prefix
        self._scrub = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
        self._now = now

    def send(self, ticket_id: int, text: str | None, reviewer: str) -> AnswerOutcome:
        """The draft (``text`` None) or the lead's text, sent once as the public reply."""
        run_id = new_run_id()
        try:
            with RunLock(self._state_dir):
                return self._send(ticket_id, text, reviewer, run_id)
        except LockHeldError:
            return AnswerOutcome(
                ticket_id, run_id, None, "a run is writing to the helpdesk now: try again shortly"
            )

    def reject(self, ticket_id: int, reviewer: str) -> AnswerOutcome:
        """The draft is not to be sent: judged not accepted (the ``auto`` ladder counts it)."""
        run_id = new_run_id()
        try:
            with RunLock(self._state_dir):
                book = AnswerBook(self._state_dir)
                if book.was_sent(ticket_id):
                    return AnswerOutcome(ticket_id, run_id, None, "the answer was sent already")
                book.judge_draft(ticket_id, False)
        except LockHeldError:
            return AnswerOutcome(
                ticket_id, run_id, None, "a run is writing to the helpdesk now: try again shortly"
            )
        self._log(run_id, "answer_draft_rejected", ticket_id=ticket_id, reviewer=reviewer)
        return AnswerOutcome(ticket_id, run_id, "rejected")

    def _send(self, ticket_id: int, text: str | None, reviewer: str, run_id: str) -> AnswerOutcome:
        book = AnswerBook(self._state_dir)  # read under the lock: a run's send is in it
        if book.was_sent(ticket_id):
            return AnswerOutcome(ticket_id, run_id, None, "the answer was sent already")
        if any(plan.ticket_id == ticket_id for plan, _, _ in book.planned()):
            return AnswerOutcome(
                ticket_id,
                run_id,
                None,
                "a reply to this ticket is being sent: the next run ends it",
            )
        draft = book.drafts().get(ticket_id)
        if draft is None:
            why = "the answers' book has no draft for this ticket (expired or never drafted)"
            return AnswerOutcome(ticket_id, run_id, "refused", why)
        body = str(draft["answer"]) if text is None else text.strip()[:MAX_ANSWER]
        if not body:
            return AnswerOutcome(ticket_id, run_id, None, "the answer is empty")
        plan = AnswerPlan(
            ticket_id=ticket_id,
            delivery="send",
            category=str(draft["category"]),
            article_id=int(draft["article_id"]),
            article_url=str(draft.get("url") or ""),
            language="",
            probability=0.0,
            body=body,
        )
        try:
            helpdesk = self._connect()
        except TicketBotError as exc:
            return AnswerOutcome(ticket_id, run_id, None, self._scrub.text(str(exc)))
        try:
            book.plan(plan, self._now())  # fsync'd: a kill from here on is settled by a run
            book.sending(ticket_id)
            done = send_once(
                cast(AnswerDesk, helpdesk),
                plan,
                prefix=self._prefix,
                marker=marker_tag(self._prefix),
            )
        except TicketBotError as exc:
            # Unknown fate: the entry stays ``sending``; the next run reads before it sends.
            why = f"the helpdesk failed ({self._scrub.text(str(exc))}); the next run settles it"
            return AnswerOutcome(ticket_id, run_id, None, why)
        finally:
            helpdesk.close()
        if done.outcome not in ("sent", "finished"):
            book.drop(ticket_id)
            self._log(
                run_id,
                "answer_cancelled",
                ticket_id=ticket_id,
                category=plan.category,
                reason=done.outcome,
                reviewer=reviewer,
            )
            return AnswerOutcome(ticket_id, run_id, "refused", REFUSED[done.outcome])
        book.sent(plan, self._now())
        book.judge_draft(ticket_id, text is None)
        self._log(
            run_id,
            "answer_sent",
            ticket_id=ticket_id,
            category=plan.category,
            article_id=plan.article_id,
            recovered=done.outcome == "finished",
            previous_status=done.before if done.outcome == "sent" else None,
            tags_added=list(answer_tags(plan, self._prefix)),
            reply_id=done.reply_id,
            reviewer=reviewer,
            edited=text is not None,
        )
        return AnswerOutcome(ticket_id, run_id, "sent", None, done.reply_id)

    def _log(self, run_id: str, event: str, **fields: object) -> None:
        with EventLog(self._log_dir, run_id=run_id, secrets=self._scrub) as log:
            log.emit(event, **fields)
