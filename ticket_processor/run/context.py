"""``RunContext``: the parts one run is built from, made once by ``run_once`` and read by all.

The pipeline and its helpers (discovery, the ticket flow, the recorder, the ledger upkeep) each
take the context rather than a dozen keyword arguments, so a new part is one field here, not an
argument threaded through five constructors. Tests build one with the parts they fake.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..common.eventlog import EventSink
from ..models import Helpdesk, Message, Ticket, Triage, WriteBack
from ..passes.types import RunOptions
from ..resilience.deadline import RunDeadline
from ..resilience.runtime import Runtime
from ..state.ledger import CursorStream, RunLedger
from ..steps.protocol import TicketStep
from ..triage.chain import TriageCache, TriageEngine
from ..triage.prepare import PreparedTicket
from ..writeback.batch_writer import WriteClaims
from ..writeback.reply_change import ReplyChange, ReplyKind, Thread
from .audit import NO_AUDIT, DecisionSink


class Planner(Protocol):
    """Decides the change for a ticket from its current state and its triage, or the change a
    judged reply makes."""

    def field_values(self, ticket: Ticket) -> dict[str, str]: ...

    def decisions(self, triage: Triage) -> Mapping[str, str]: ...

    def field_titles(self) -> Mapping[str, str]: ...

    def shown_values(self, values: Mapping[str, object]) -> Mapping[str, str]: ...

    def plan(
        self,
        ticket: Ticket,
        triage: Triage,
        found: dict[str, str] | None = None,
        prepared: PreparedTicket | None = None,
    ) -> WriteBack: ...

    def plan_reply(
        self,
        ticket: Ticket,
        thread: Thread,
        kind: ReplyKind,
        triage: Triage | None,
        reply: Message,
        text: str | None = None,
    ) -> ReplyChange: ...

    def note_escalation(self, ticket: Ticket, routes: tuple[str, ...]) -> None: ...

    def note_language(self, ticket_id: int) -> str: ...

    def forget(self, ticket_id: int) -> None: ...

    def translation_counts(self) -> dict[str, int]: ...


def _no_stop() -> str | None:
    return None


def _free(model: str | None, prompt_tokens: int, completion_tokens: int) -> float:
    return 0.0


def _quiet(event: str) -> None:
    return None


@dataclass(frozen=True)
class RunContext:
    """What one run reads: its options, its helpdesk, its state, its engines and its hooks."""

    options: RunOptions
    run_id: str
    helpdesk: Helpdesk
    ledger: RunLedger
    log: EventSink
    chain: Sequence[TriageEngine]
    cache: TriageCache
    planner: Planner
    runtime: Runtime = field(default_factory=Runtime)
    # Whose place in the helpdesk's stream this run reads from and saves: a scheduled run's,
    # or a backfill's slice's.
    stream: CursorStream = "run"
    stop_signal: Callable[[], str | None] = _no_stop  # SIGINT / SIGTERM, by name
    price: Callable[[str | None, int, int], float] = _free  # model, tokens in, out -> USD
    on_progress: Callable[[str], None] = _quiet  # the terminal's progress bar
    # A line the user must see now, before a long wait, not in the summary after it (the
    # command prints it on stderr): "finishing 295 writes of the interrupted run".
    on_notice: Callable[[str], None] = _quiet
    writer_flush_after: float = 1.0  # seconds a partial write batch waits for more
    # How long the helpdesk may still be answering a write the run gave up on: its read
    # timeout (TICKETBOT_HTTP_TIMEOUT). A run started sooner after one that left writes cut
    # short waits that out before it looks for them (``upkeep.LedgerUpkeep.recover``).
    write_settle_s: float = 30.0
    # The run's bound (--max-runtime and its grace), as the helpdesk was connected with it;
    # None: the pipeline starts one from ``options.max_runtime`` when it runs.
    deadline: RunDeadline | None = None
    # Where each decision goes when its change is planned, before its write (run/audit.py).
    audit: DecisionSink = NO_AUDIT
    # The event log's directory: where the next run reads what a killed run logged of its
    # writes (``discovery.record_landed``); None: not read.
    log_dir: Path | None = None
    # Per-ticket claims around each write batch, shared with every ticketbot process on the
    # state directory (``state.claims``: a run beside ``serve``); None: this process only.
    claims: WriteClaims | None = None
    # The per-ticket steps, in their order (``order.ticket_steps``): each ticket's and each
    # reply's work after its triage (the spam gate, the risk, answers, the running summary).
    steps: Sequence[TicketStep] = ()

    # Sees each triaged ticket with its prepared text (the incident grouping's sightings).
    observe: Callable[[Ticket, PreparedTicket, Triage], None] | None = None
