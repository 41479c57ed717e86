"""The per-ticket step: each feature's work on every ticket (and every customer's reply) after
its triage, which the run, ``backfill`` and ``serve`` call in the order
``run/order.ticket_steps`` lists them.

A ticket's way through a run is prepare → triage → the steps' ``judge`` → the planner → the
steps' ``attach`` → write. A step reads what it needs of the ticket's own text while the run
still holds it (``read``: the body is let go once the ticket is taken, so what a step needs
later it keeps in its reading; ``keep``: what of that waits with the ticket for its write),
may change the triage before the change is planned (``judge``: the spam verdict, the risk),
and may add to the planned change (``attach``: an answer to the customer). A customer's
reply is judged again by the same steps (``holds_reply``, ``first_message_stands``,
``judge_reply``, ``attach_reply``, ``on_reply``). After the batch's first writes a step may do work
of its own (``after_writes``: send what the notes announced), add its counts to the run's summary
(``totals``), and hand the run a pass for after the batch (``run_pass``: the passes' order is
``run/order.run_passes``'s, the steps' passes in the steps' order). Under ``serve``, each batch of
delivered tickets is handed to ``served``; ``close`` ends what a step keeps running; the triage API
asks each step what it adds for a text (``api_fields``), and the dashboard's ticket page shows what
a step makes of its audit fields (``shown``, ``steps.shown``).

The run knows only this interface and the list. A step subclasses ``Step``, whose hooks do
nothing, and overrides those it needs; a hook added later has a do-nothing default there, so
a step written today keeps working. A minimal step, one tag on every ticket it judges::

    from ticket_processor.steps.protocol import Step

    class HelloStep(Step):
        name = "hello"

        def attach(self, ticket, triage, writeback, reading, *, replanned, language):
            tags = (*writeback.additional_tags, "hello")
            return writeback.model_copy(update={"additional_tags": tags})

and a feature that opens it (``steps.feature.Feature``) with its line in ``features.registry``.

Threads: ``read`` runs on the run's main thread; ``judge``, ``attach``, ``judge_reply``,
``audit_fields`` and ``shown`` on the run's worker threads, several tickets at once;
``on_reply`` on the writer's thread. A step that keeps state per ticket guards it with a lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..common.eventlog import EventSink
from ..models import Conversation, Helpdesk, Ticket, Triage, WriteBack, WriteJournal
from ..passes.protocol import RunPass
from ..passes.types import RunOptions, RunSummary
from ..triage.prepare import PreparedTicket
from .shown import Shown

if TYPE_CHECKING:
    from ..writeback.batch_writer import WriteClaims

# What a run pays for a model's call: model, tokens in, tokens out -> USD.
Price = Callable[[str | None, int, int], float]


@dataclass(frozen=True)
class ReplyView:
    """A customer's new reply on a triaged ticket, as the re-triage judges it.

    ``text``: the reply's new words (quoted history and signatures stripped, not redacted: a
    step that sends it anywhere redacts it first); ``prepared``: what the engines read,
    redacted; ``trend``: the thread's sentiments before this reply, oldest first."""

    ticket: Ticket
    conversation: Conversation
    text: str
    prepared: PreparedTicket
    trend: tuple[str, ...] = ()

    @property
    def contacts(self) -> int:
        """How many times the requester wrote publicly (the first message included)."""
        return 1 + sum(1 for m in self.conversation.messages if m.public and m.from_requester)


def _no_ids() -> Iterable[int]:
    return ()


def _no_stop() -> object:
    return None


@dataclass(frozen=True)
class StepRun:
    """What a step's own writes and after-run pass work with: the run's helpdesk, log, write
    journal and claims (None: a dry or shadow run, which writes nothing), and the batch's
    tickets (those taken and those the feed showed changed) once it is written."""

    helpdesk: Helpdesk
    log: EventSink
    run_id: str
    options: RunOptions
    journal: WriteJournal | None
    claims: WriteClaims | None = None
    flush_after: float = 1.0  # seconds a partial write batch waits for more
    ticket_ids: Callable[[], Iterable[int]] = _no_ids
    should_stop: Callable[[], object] = _no_stop  # truthy: the run is stopping
    writes: bool = True  # False: a dry or a shadow run, which decides and shows, writes nothing


class TicketStep(Protocol):
    """One feature's work on each ticket and reply after its triage (see the module's text)."""

    name: str

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> Any:
        """What the step keeps of the ticket's own text (the raw ``ticket.description`` is
        there now, and only now), handed back to ``judge`` and ``attach``; None: nothing."""
        ...

    def keep(self, reading: Any) -> Any:
        """What of its reading the step needs again when the change is planned anew before
        its write (``attach`` with ``replanned``), kept while the ticket waits on the writer;
        the rest goes with the ticket's body once ``judge`` and ``attach`` had it."""
        ...

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        """The triage, changed or not, before the change is planned (``ticket`` without
        its body; ``prepared``: the redacted text the engines read)."""
        ...

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
        """The planned change with the step's part added. ``replanned``: planned again
        against the ticket as it is just before the write; ``language``: the note's."""
        ...

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        """What the audit store records of the step's decision for a ticket, beside the
        change (the answer it planned); empty: nothing."""
        ...

    def api_fields(self, prepared: PreparedTicket, triage: Triage) -> Mapping[str, Any]:
        """What ``serve``'s triage API answers of the step for a text (no ticket: nothing
        read from or written to the helpdesk, nothing kept); empty: nothing."""
        ...

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        """The step's section on the dashboard's ticket page, made from its ``audit_fields``
        (kept in the decision's event, so the page needs no step to show it); None: none."""
        ...

    def holds_reply(self, ticket: Ticket, kind: str) -> bool:
        """True: a reply of this kind (``actionable``, ``thanks``, ``auto_reply``) on this
        ticket is left alone: not judged, nothing written."""
        ...

    def first_message_stands(self, ticket: Ticket) -> bool:
        """Whether the ticket's first message is its requester's own words, which an LLM reads
        beside their reply (False: the spam gate took it for a machine's)."""
        ...

    def judge_reply(self, reply: ReplyView, triage: Triage) -> Triage | None:
        """The reply's triage, changed or not; None: the reply is set aside (nothing
        written, the reply counted as answered)."""
        ...

    def attach_reply(
        self, ticket: Ticket, triage: Triage | None, writeback: WriteBack
    ) -> WriteBack:
        """A judged reply's change, when it writes, with the step's part added (``triage``:
        None for a thank-you or an automatic reply, which are not triaged)."""
        ...

    def on_reply(self, ticket: Ticket, kind: str) -> None:
        """A customer's reply was judged and its change written (or nothing to write)."""
        ...

    def after_writes(self, should_stop: Callable[[], str | None]) -> None:
        """The batch's first messages are written (before the replies are read)."""
        ...

    def totals(self, summary: RunSummary, price: Price) -> None:
        """Add the step's counts to the run's summary, once, when the batch ends."""
        ...

    def run_pass(self, run: StepRun) -> RunPass | None:
        """The step's after-run pass (``passes.protocol``), or None."""
        ...

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        """``serve``: a batch of delivered tickets was started (their triage under way)."""
        ...

    def close(self) -> None:
        """The run or the server ends: wait for what the step still runs."""
        ...


class Step:
    """A step that does nothing: a feature's step overrides the hooks it needs."""

    name = "step"

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> Any:
        return None

    def keep(self, reading: Any) -> Any:
        return reading

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        return triage

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
        return writeback

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        return {}

    def api_fields(self, prepared: PreparedTicket, triage: Triage) -> Mapping[str, Any]:
        return {}

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        return None

    def holds_reply(self, ticket: Ticket, kind: str) -> bool:
        return False

    def first_message_stands(self, ticket: Ticket) -> bool:
        return True

    def judge_reply(self, reply: ReplyView, triage: Triage) -> Triage | None:
        return triage

    def attach_reply(
        self, ticket: Ticket, triage: Triage | None, writeback: WriteBack
    ) -> WriteBack:
        return writeback

    def on_reply(self, ticket: Ticket, kind: str) -> None:
        return None

    def after_writes(self, should_stop: Callable[[], str | None]) -> None:
        return None

    def totals(self, summary: RunSummary, price: Price) -> None:
        return None

    def run_pass(self, run: StepRun) -> RunPass | None:
        return None

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        return None

    def close(self) -> None:
        return None
