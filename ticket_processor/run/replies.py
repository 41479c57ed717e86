"""Re-triage on customers' replies: the second part of a scheduled run.

After the run's new tickets are written, ``ReplyPass`` reads the helpdesk's reply pages
(``Helpdesk.reply_pages``: the conversations of triaged, unsolved tickets with a new public
message from their requester) from its own cursor, judges each ticket's unanswered replies on
the run's pool and writes what changed through its own ``BatchWriter`` (journaled as every write).

Which replies are new is read from the conversation itself: the requester's public messages
after the last one a ticketbot note's trailer answers (``answers=<id>``) or the book says was
judged (a thank-you leaves no note). Agents' replies, internal notes, ticketbot's notes and
other people's messages never count. Quoted history and signatures are stripped first; the
reply is classified (``actionable`` / ``thanks`` / ``auto_reply``) locally, and an actionable
one goes through the run's engine chain with the subject and the first message, redacted and
trimmed as a first message is (``triage.prepare``). The run's planner (``passes.planner``, through
``writeback.planner``) decides the change and its write.

Exactly once: the cursor moves only past settled pages; a rerun reads the same replies again
and finds the note that answers them (or nothing left to change). A ticket this run triaged
for the first time is left to the next run, its page unsettled, so its reply is not lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Container
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from ..errors import CursorRejectedError, RunOutOfTime, TicketBotError
from ..models import Conversation, Message, Ticket, Triage, WriteBack, WriteOutcome
from ..state.checkpoint import Checkpoint
from ..state.replies import ReplyBook
from ..steps.protocol import ReplyView
from ..triage.prepare import prepare_ticket
from ..triage.reply_text import new_text
from ..writeback.batch_writer import BatchWriter, Writer
from ..writeback.noted import note_id_of
from ..writeback.planner import reply_writeback
from ..writeback.reply_change import ReplyChange, read_thread, repair_change
from ..writeback.scope import CLOSED
from .audit import audited
from .context import RunContext
from .record import RunRecorder, risk_fields


@dataclass
class _Judged:
    conversation: Conversation
    reply: Message
    change: ReplyChange
    triage: Triage | None


class ReplyPass:
    """One run's re-triage; ``run(pool, taken)`` once, after the first messages are written."""

    def __init__(self, ctx: RunContext, record: RunRecorder, book: ReplyBook) -> None:
        self.ctx = ctx
        self.record = record
        self.book = book
        self.options = ctx.options
        self.log = ctx.log
        self.checkpoint = Checkpoint()
        self._lock = threading.Lock()
        self._judged: dict[int, _Judged] = {}
        # Tickets whose reply another writer answered between our read and our write.
        self._answered_elsewhere: set[int] = set()
        self.writer: Writer | None = None

    def run(
        self,
        pool: ThreadPoolExecutor,
        taken: Container[int],
        should_stop: Callable[[], str | None],
    ) -> None:
        ctx, opts = self.ctx, self.options
        self.writer = self.open_writer()
        since = opts.since or (ctx.runtime.now() - timedelta(hours=24))
        futures: list[Future[None]] = []
        try:
            pages = ctx.helpdesk.reply_pages(
                self.book.cursor,
                since=int(since.timestamp()),
                prefix=opts.prefix,
                written=self.book.written,
            )
            for page in pages:
                for event, reason in page.notices:
                    self.log.emit(event, reason=reason)
                    if event == "replies_unavailable":  # an agent's token: say it every run
                        self.record.warn(reason)
                self.checkpoint.open_page(page.next_cursor)
                complete = True
                for conversation in page.conversations:
                    ticket = conversation.ticket
                    if should_stop() is not None:
                        complete = False
                        break
                    if ticket.id in taken:
                        complete = False  # written by this run: its replies wait for the next
                        continue
                    if not self._in_scope(ticket):
                        continue
                    self.checkpoint.take(ticket.id)
                    futures.append(pool.submit(self._work, conversation))
                self.checkpoint.close_page(complete=complete)
                if should_stop() is not None:
                    break
        except CursorRejectedError as exc:
            self.log.emit("reply_cursor_discarded", level="warning", reason=str(exc))
            self.book.discard_cursor()
        except RunOutOfTime:
            pass
        except TicketBotError as exc:
            # Replies are the run's second part: the first is written already, and the
            # cursor stays where it was, so the next run reads these replies again.
            self.log.emit("replies_unread", level="warning", error=str(exc))
            self.record.warn(f"customers' replies were not read this run: {exc}")
        finally:
            wait(futures)
            self.writer.close()
            safe = self.checkpoint.safe_cursor
            if safe is not None:
                self.book.move_cursor(safe)

    def open_writer(self) -> BatchWriter:
        """The pass's writer: batched, journalled, re-planned against the ticket as it is."""
        ctx = self.ctx
        return BatchWriter(
            ctx.helpdesk,
            journal=audited(ctx.ledger, ctx.audit),
            replan=self._replan,
            on_outcome=self._on_written,
            flush_after=ctx.writer_flush_after,
            claims=ctx.claims,
        )

    def take(self, pool: ThreadPoolExecutor, conversation: Conversation) -> bool:
        """Judge one ticket's conversation now (``serve``: a delivery named it), through
        ``writer`` (``open_writer``); False when it is out of scope (nothing to judge)."""
        if not self._in_scope(conversation.ticket):
            return False
        self.checkpoint.open_page(None)
        self.checkpoint.take(conversation.ticket.id)
        self.checkpoint.close_page()
        pool.submit(self._work, conversation)
        return True

    def _in_scope(self, ticket: Ticket) -> bool:
        if ticket.status in CLOSED:
            self.book.forget((ticket.id,))
            return False
        return self.options.scope.admits(ticket)

    # -- judging one conversation (worker threads) ---------------------------------------

    def _work(self, conversation: Conversation) -> None:
        ticket = conversation.ticket
        try:
            judged = self._judge(conversation)
        except RunOutOfTime:
            self.checkpoint.abandon(ticket.id)
            return
        except Exception as exc:  # noqa: BLE001 - one bad reply must not sink the run
            # Said and settled: a reply that cannot be judged must not hold back every later
            # one (the cursor would never pass it).
            self._failed(ticket.id, "analyse", exc, retry=False)
            return
        if judged is None:
            self.checkpoint.settle(ticket.id)
            return
        with self._lock:
            self._judged[ticket.id] = judged
        if not judged.change.writes:
            self._done(judged, None)
            return
        assert self.writer is not None
        self.writer.add(self._attach(ticket, judged, reply_writeback(ticket, judged.change)))

    def _judge(self, conversation: Conversation) -> _Judged | None:
        ticket = conversation.ticket
        entry = self.book.entry(ticket.id)
        thread = read_thread(
            conversation,
            entry.answered if entry is not None else None,
            entry.trend if entry is not None else (),
        )
        if not thread.replies:
            repair = repair_change(ticket, thread.before, self.options.prefix)
            if repair is None or thread.before is None or thread.before.answers is None:
                return None
            answered = Message(thread.before.answers, "", None, True, True)
            return _Judged(conversation, answered, repair, None)
        reply = thread.replies[-1]
        opts = self.options
        text = new_text([m.body for m in thread.replies], max_tokens=opts.max_input_tokens)
        # The reply classifier's cues (compiled patterns) only for a run that meets a reply.
        from ..triage.reply_kind import classify_reply

        verdict = classify_reply(text, engine=self._reply_engine())
        # A step may leave a reply alone (the spam gate: a thank-you on a ticket it set aside).
        if any(step.holds_reply(ticket, verdict.kind) for step in self.ctx.steps):
            return None
        triage, shown = None, None
        if verdict.kind == "actionable":
            prepared = prepare_ticket(
                ticket.subject,
                self._reply_text(text, ticket),
                max_tokens=opts.max_input_tokens,
                people=ticket.people,
            )
            triage = self.ctx.cache.triage(prepared, list(self.ctx.chain), opts.engine)
            view = ReplyView(ticket, conversation, text, prepared, tuple(thread.trend))
            for step in self.ctx.steps:  # in order; None: a step set the reply aside
                judged = step.judge_reply(view, triage)
                if judged is None:
                    return None
                triage = judged
            # The reply alone, redacted as the LLM read it: what the note may translate.
            shown = prepare_ticket("", text, max_tokens=opts.max_input_tokens).body
        return _Judged(
            conversation,
            reply,
            self.ctx.planner.plan_reply(ticket, thread, verdict.kind, triage, reply, shown),
            triage,
        )

    def _reply_text(self, reply: str, ticket: Ticket) -> str:
        """What the engines judge: an LLM reads the reply with the first message after it (the
        first message gives way first when the budget is short); the local engines read the
        reply alone, as their words would otherwise be the first message's."""
        if self.options.engine != "llm" or not any(e.name == "llm" for e in self.ctx.chain):
            return reply
        if not all(step.first_message_stands(ticket) for step in self.ctx.steps):
            return reply  # the first message is no customer's (the spam gate's): not theirs
        return f"The customer's new reply:\n{reply}\n\nTheir first message:\n{ticket.description}"

    def _reply_engine(self) -> Literal["rules", "learned"]:
        names = {engine.name for engine in self.ctx.chain}
        return "learned" if "learned" in names else "rules"

    def _replan(self, fresh: Ticket) -> WriteBack | None:
        """The change again from the ticket as it is now (tags merged with what is there)."""
        with self._lock:
            judged = self._judged.get(fresh.id)
        if judged is None:
            return None
        conversation = judged.conversation
        entry = self.book.entry(fresh.id)
        answered = entry.answered if entry is not None else None
        trend = entry.trend if entry is not None else ()
        repair = judged.triage is None and judged.change.kind == "actionable"
        if not repair and fresh.updated_at != conversation.ticket.updated_at:
            # Changed since its conversation was read: another installation on this account
            # may have answered the same reply meanwhile (its note's trailer says so), so read
            # the conversation again before writing a second note (one request, and only for
            # a ticket that changed).
            conversation = self.ctx.helpdesk.conversation(fresh.id) or conversation
            unanswered = read_thread(conversation, answered, trend).replies
            if judged.reply.id not in {m.id for m in unanswered}:
                with self._lock:
                    self._answered_elsewhere.add(fresh.id)
                return None
        thread = read_thread(conversation, answered, trend)
        if repair:
            repaired = repair_change(fresh, thread.before, self.options.prefix)
            return reply_writeback(fresh, repaired) if repaired is not None else None
        change = self.ctx.planner.plan_reply(
            fresh, thread, judged.change.kind, judged.triage, judged.reply
        )
        return (
            self._attach(fresh, judged, reply_writeback(fresh, change)) if change.writes else None
        )

    def _attach(self, ticket: Ticket, judged: _Judged, writeback: WriteBack) -> WriteBack:
        """The reply's change with each step's part, in the steps' order; an earlier run's
        tags put in place (a repair) are that run's change, as it was."""
        if judged.triage is None and judged.change.kind == "actionable":
            return writeback
        for step in self.ctx.steps:
            writeback = step.attach_reply(ticket, judged.triage, writeback)
        return writeback

    # -- closing one ---------------------------------------------------------------------

    def _on_written(self, outcome: WriteOutcome) -> None:
        with self._lock:
            judged = self._judged.get(outcome.ticket_id)
        if judged is None:
            return
        if isinstance(outcome.error, RunOutOfTime):
            self.checkpoint.abandon(outcome.ticket_id)
            return
        if outcome.error is not None:
            self._failed(outcome.ticket_id, "write", outcome.error)
            return
        with self._lock:
            elsewhere = outcome.ticket_id in self._answered_elsewhere
        if outcome.writeback is None and elsewhere:
            # Another ticketbot (a second installation on this helpdesk) answered the reply
            # between our read and our write, as first triage counts a marker appearing.
            self.record.second_writer()
            self.log.emit("reply_already_answered", ticket_id=outcome.ticket_id)
        self._done(judged, outcome.writeback, outcome.updated_at, note_id_of(outcome))

    def _done(
        self,
        judged: _Judged,
        written: WriteBack | None,
        updated_at: str | None = None,
        note_id: str | None = None,
    ) -> None:
        ticket, change = judged.conversation.ticket, judged.change
        self.book.answered(ticket.id, judged.reply.id, change.trend, updated_at)
        sentiment = change.changed.get("sentiment")
        self.record.reply(
            change.kind,
            noted=bool(written is not None and written.note),
            sentiment_moved=sentiment is not None,
            held=change.escalation_held is not None,
        )
        if written is not None and change.escalated:
            self.ctx.planner.note_escalation(ticket, change.escalated_by)
        for step in self.ctx.steps:
            step.on_reply(ticket, change.kind)
        triage = judged.triage
        self.log.emit(
            "reply_triaged",
            ticket_id=ticket.id,
            reply_id=judged.reply.id,
            reply_at=judged.reply.created_at,
            kind=change.kind,
            changed={k: list(v) for k, v in change.changed.items()},
            trend=list(change.trend),
            wrote=written is not None,
            note=bool(written is not None and written.note),
            note_id=note_id,
            tags_added=list(written.additional_tags) if written else [],
            tags_removed=list(written.remove_tags) if written else [],
            priority=written.priority.value if written and written.priority else None,
            previous_priority=ticket.priority,
            group_id=written.group_id if written else None,
            previous_group_id=ticket.group_id,
            escalated=change.escalated,
            escalation_held=change.escalation_held,
            engine=triage.engine if triage else None,
            # The tags of an earlier run's note put in place (that run was killed mid-write).
            repair=triage is None and change.kind == "actionable",
            sentiment_change=f"{sentiment[0]}>{sentiment[1]}" if sentiment else None,
            **risk_fields(triage),
        )
        self.checkpoint.settle(ticket.id)

    def _failed(
        self, ticket_id: int, stage: str, error: BaseException, *, retry: bool = True
    ) -> None:
        self.record.reply_failed()
        self.log.emit(
            "reply_failed",
            level="warning",
            ticket_id=ticket_id,
            stage=stage,
            error_type=type(error).__name__,
            error=str(error),
        )
        if retry:  # the page stays unsettled: the next run reads this reply again
            self.checkpoint.abandon(ticket_id)
        else:
            self.checkpoint.settle(ticket_id)
