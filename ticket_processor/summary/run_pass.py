"""The summary pass of a run: each ticket a person wrote on since, its summary field refreshed.

After the run's tickets are triaged and its replies judged (``TICKETBOT_SUMMARY_FIELD`` set),
``SummaryPass.run`` takes the tickets the run triaged and the triaged, open tickets its
discovery saw changed (a customer's reply, an agent's reply or note: the helpdesk's change
feed shows each). For each it reads the conversation (one request), writes the summary
(``summarise``: the LLM's, else the extractive one), and decides against the field as it is
(``build.decide``): an empty field or ticketbot's own unchanged summary is written, the same
text is left (a rerun writes nothing), an agent's text is kept. The writes go in batches
through the run's writer (journaled, claimed, re-decided on a fresh read when the ticket
changed meanwhile). Each write is one event ``summary_written`` with the field's text before,
which ``revert --run`` restores; a dry or shadow run writes nothing and shows each summary it
would write. Under ``serve``, ``SummaryQueue`` does the same for each batch of deliveries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..common.eventlog import EventSink
from ..common.sealed import seal_text
from ..errors import TicketBotError
from ..models import Helpdesk, Ticket, WriteBack, WriteJournal, WriteOutcome
from ..passes.protocol import Pass, RunEnd
from ..writeback.batch_writer import BatchWriter, WriteClaims
from ..writeback.scope import CLOSED
from .build import body_of, decide
from .extractive import Embed
from .summarise import Complete, summarise
from .thread import thread_of


@dataclass
class SummaryOutcome:
    """What the pass did: tickets read, summaries written (or, dry, to write), left as they
    were (the same text), kept (an agent's), failed; and a dry run's lines."""

    read: int = 0
    written: int = 0
    unchanged: int = 0
    kept: int = 0
    failed: int = 0
    llm: int = 0  # written by the LLM (the rest are extractive)
    fallbacks: int = 0  # the LLM asked and its answer missing or refused
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "written": self.written,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "failed": self.failed,
            "llm": self.llm,
            "fallbacks": self.fallbacks,
            "lines": list(self.lines),
        }


@dataclass
class SummaryPass:
    helpdesk: Helpdesk
    field_key: str  # the field's key in ``custom_fields`` (Zendesk: its id; Freshdesk: cf_ name)
    log: EventSink
    run_id: str
    dry_run: bool  # dry or shadow: decide, write nothing, show the summaries
    embed: Embed
    complete: Complete | None = None
    language: str = "en"
    journal: WriteJournal | None = None
    claims: WriteClaims | None = None
    flush_after: float = 1.0
    admits: Callable[[Ticket], bool] = lambda ticket: True  # the run's scope
    workers: int = 4
    # The field is one the customer sees: only what they can see is summarised there.
    public_only: bool = False
    # The tags of the spam gate's applied verdicts: a ticket with one gets no "answer" step.
    held_tags: frozenset[str] = frozenset()
    outcome: SummaryOutcome = field(default_factory=SummaryOutcome)
    _texts: dict[int, tuple[str, object]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    _changes: list[WriteBack] = field(default_factory=list)

    def plan(
        self, ticket_ids: Iterable[int], should_stop: Callable[[], object] = lambda: None
    ) -> None:
        """Read each ticket's conversation and decide its field (a dry run's lines), on
        ``workers`` threads: with an LLM each summary is a call."""

        def one(ticket_id: int) -> None:
            if should_stop():
                return  # the next run reads it again: the feed still shows it changed
            change = self._plan(ticket_id)
            if change is not None:
                with self._lock:
                    self._changes.append(change)

        with ThreadPoolExecutor(self.workers, thread_name_prefix="summary") as pool:
            list(pool.map(one, sorted(set(ticket_ids))))
        self._changes.sort(key=lambda change: change.ticket_id)
        self.outcome.lines.sort(key=lambda line: int(line.split(":")[0].split()[1]))

    def write(self) -> SummaryOutcome:
        """Write what ``plan`` decided (nothing in a dry run), in the helpdesk's batches."""
        if self.dry_run or self.journal is None or not self._changes:
            return self.outcome
        writer = BatchWriter(
            self.helpdesk,
            journal=self.journal,
            replan=self._replan,
            on_outcome=self._on_written,
            flush_after=self.flush_after,
            claims=self.claims,
        )
        try:
            for change in self._changes:
                writer.add(change)
        finally:
            writer.close()
        return self.outcome

    def _plan(self, ticket_id: int) -> WriteBack | None:
        """One ticket read and decided (on a worker thread: counts under the lock)."""
        try:
            conversation = self.helpdesk.conversation(ticket_id)
        except TicketBotError as exc:
            self._count("failed")
            self.log.emit("summary_failed", ticket_id=ticket_id, error=str(exc))
            return None
        if conversation is None:
            return None
        ticket = conversation.ticket
        if ticket.status in CLOSED or not self.admits(ticket):
            return None
        held = sorted(self.held_tags.intersection(ticket.tags))
        written = summarise(
            thread_of(conversation, public_only=self.public_only),
            self.embed,
            complete=self.complete,
            language=self.language,
            held=held[0] if held else None,
        )
        before = ticket.custom_fields.get(self.field_key)
        action, text = decide(before, written.text)
        self.log.emit(
            "summary_planned",
            ticket_id=ticket_id,
            action=action,
            writer=written.summary.source,
            fallback=written.fallback,
            words=len(written.text.split()),
        )
        with self._lock:
            self.outcome.read += 1
            self.outcome.llm += written.summary.source == "llm"
            self.outcome.fallbacks += written.fallback is not None
            if action == "same":
                self.outcome.unchanged += 1
            elif action == "kept":
                self.outcome.kept += 1
            elif text is not None:
                self._texts[ticket_id] = (text, before)
                if self.dry_run:
                    self.outcome.written += 1
                    self.outcome.lines.append(f"ticket {ticket_id}: {body_of(text)}")
        if action != "write" or text is None or self.dry_run:
            return None
        return self._change(ticket, text)

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self.outcome, name, getattr(self.outcome, name) + 1)

    def _change(self, ticket: Ticket, text: str) -> WriteBack:
        return WriteBack(
            ticket_id=ticket.id,
            additional_tags=(),
            custom_fields={self.field_key: text},
            updated_stamp=ticket.updated_at,
        )

    def _replan(self, fresh: Ticket) -> WriteBack | None:
        """The ticket changed since it was read: write only if the field still allows it."""
        with self._lock:
            text, _ = self._texts[fresh.id]
        action, _ = decide(fresh.custom_fields.get(self.field_key), text)
        return self._change(fresh, text) if action == "write" else None

    def _on_written(self, outcome: WriteOutcome) -> None:
        with self._lock:
            text, before = self._texts.get(outcome.ticket_id, ("", None))
            if outcome.error is not None:
                self.outcome.failed += 1
            elif outcome.writeback is None:
                self.outcome.kept += 1  # an agent wrote the field meanwhile
            else:
                self.outcome.written += 1
        if outcome.error is not None:
            self.log.emit(
                "summary_write_failed", ticket_id=outcome.ticket_id, error=str(outcome.error)
            )
        elif outcome.writeback is not None:
            self.log.emit(
                "summary_written",
                run_id=self.run_id,
                ticket_id=outcome.ticket_id,
                field=self.field_key,
                # The ticket's text, encrypted when a key is set (``common.sealed``).
                value=seal_text(text),
                previous=seal_text(before) if isinstance(before, str) else None,
            )


class SummaryRunPass(Pass):
    """The summary pass in the run's order: the tickets read and decided (plan; not after an
    aborted run), the fields written (write), the outcome in the run's summary. ``make`` builds
    the pass when the plan round starts (it resolves the field: one request), or says why the
    field cannot be used (the run goes on, warned); ``ticket_ids`` are the batch's tickets and
    the changed ones its feed showed."""

    name = "summary"

    def __init__(
        self,
        make: Callable[[], SummaryPass | str],
        ticket_ids: Callable[[], Iterable[int]],
        should_stop: Callable[[], object] = lambda: None,
    ) -> None:
        self.make, self.ticket_ids, self.should_stop = make, ticket_ids, should_stop
        self.summaries: SummaryPass | None = None

    def plan(self, end: RunEnd) -> None:
        if end.aborted:
            return
        made = self.make()
        if isinstance(made, str):
            end.log.emit("summary_field_unusable", level="warning", reason=made)
            end.summary.warnings.append(f"no summary was written: {made}")
            return
        self.summaries = made
        made.plan(self.ticket_ids(), self.should_stop)

    def write(self, end: RunEnd) -> None:
        if self.summaries is None:
            return
        end.summary.summaries = self.summaries.write().as_dict()
        end.log.emit(
            "summaries", run_id=end.run_id, dry_run=not end.writes, **end.summary.summaries
        )


def refresh(
    make: Callable[[], SummaryPass | str], ticket_ids: Iterable[int], log: EventSink
) -> None:
    """One batch of tickets' summaries planned and written at once: what ``serve`` does for
    the tickets a batch of deliveries names, within seconds of a customer's message."""
    try:
        made = make()
        if isinstance(made, str):
            log.emit("summary_field_unusable", level="warning", reason=made)
            return
        made.plan(ticket_ids)
        log.emit("summaries", run_id=made.run_id, dry_run=False, **made.write().as_dict())
    except Exception as exc:  # noqa: BLE001 - on the queue's thread: said, never lost
        # The next delivery, or the cron run, tries again.
        log.emit("summary_failed", level="warning", error_type=type(exc).__name__, error=str(exc))


class SummaryQueue:
    """``serve``'s summaries: each batch of delivered tickets refreshed on one thread, in
    order (``refresh``); ``close`` waits for those under way. Without a field: nothing."""

    def __init__(self, make: Callable[[], SummaryPass | str] | None, log: EventSink) -> None:
        self._make, self._log = make, log
        self._pool = ThreadPoolExecutor(1, "summary") if make is not None else None

    def add(self, ticket_ids: Iterable[int]) -> None:
        if self._pool is not None and self._make is not None:
            self._pool.submit(refresh, self._make, list(ticket_ids), self._log)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
