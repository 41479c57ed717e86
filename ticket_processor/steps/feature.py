"""What a feature declares to the run, as a helpdesk kind's ``kind.py`` declares a helpdesk: one
``Feature`` in ``<feature>/feature.py``, listed once in ``features/registry.py``.

A feature names the settings it reads (``values``: a dataclass whose fields are named as the
settings are, filled by the run from the settings and handed to the feature as plain values),
how it opens its per-ticket steps (``steps``: from those values and the run's parts it may use,
``FeatureRun``), its after-run pass (``run_pass``, from the values and ``PassRun``), what it
declares without a run (``extras``: its fields of the triage API's answer, its entries in the
help-centre index), what ``kb sync`` calls (``kb_sync``), what sees every ticket the run reads
(``sees``), how an agent approves a change it proposed (``approver``) and, for the commands,
the state files it keeps encrypted (``sealed_files``). The run loops over
the registry in its order: a feature's steps run in that order on each ticket, and its pass
after the steps' own passes, in that order too. A feature that is off returns no step and no
pass, and imports nothing of its own past its ``feature.py``.

A minimal feature, one tag on every ticket it judges (``steps.protocol``'s ``HelloStep``)::

    FEATURE = Feature("hello", NoValues, steps=lambda values, run: [HelloStep()])

and ``register(FEATURE)`` (``features.registry``), or a line in its ``FEATURES``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ..common.eventlog import EventSink
from ..kb.index import ArticleIndex
from ..models import Helpdesk, Ticket, WriteJournal
from ..passes.protocol import RunPass
from ..passes.types import RunOptions
from ..resilience.deadline import RunDeadline
from ..triage.chain import LLMEngine, TriageEngine
from ..triage.route_rules import Route
from ..triage.taxonomy import Taxonomy
from ..writeback.batch_writer import WriteClaims
from ..writeback.translation import Translator
from .extras import StepExtras
from .protocol import TicketStep
from .reopening import Opener, ReopeningStep

Values = TypeVar("Values")


@dataclass(frozen=True)
class NoValues:
    """The values of a feature that reads no setting."""


@dataclass
class Offers:
    """What a feature hands the features after it in the registry's order, the same run: the
    features do not import one another (they are one layer), so what one needs of another is
    here. ``source_live``: whether an index entry's source is still in the helpdesk (from the
    feature whose entries those are); ``grounded``: the answers' check of a reply against what
    it may quote."""

    source_live: Callable[[int], bool] | None = None
    grounded: Any = None


@dataclass
class FeatureRun:
    """The run's parts a feature's steps may use, handed by the run (``run/order``).

    ``warnings``: what the run's recorder says (a step's notes join them); ``preferred``: the
    engine the chain prefers (``llm`` when the LLM triages first); ``index``: the help-centre
    index; ``alerter``: the run's alerter (``alerts.alerter.Alerter``, a layer above this one);
    ``reopens``: ``serve``, whose steps on a file a sync rewrites reopen it when it changes;
    ``served``: ``serve``, which takes its deliveries as they come; ``connect``: a new
    connection to the helpdesk within a bound (a refresh's own); ``offers``: what the features
    before this one handed on."""

    options: RunOptions
    helpdesk: Helpdesk
    log: EventSink
    warnings: list[str]
    chain: Sequence[TriageEngine]
    preferred: str
    taxonomy: Taxonomy
    index: ArticleIndex | None
    alerter: Any
    reopens: bool
    served: bool
    deadline: RunDeadline | None
    sleep: Callable[[float], None]
    connect: Callable[[RunDeadline | None], Helpdesk]
    offers: Offers = field(default_factory=Offers)

    @property
    def quiet(self) -> bool:
        """A dry or shadow run: it decides and writes nothing."""
        return self.options.dry_run or self.options.shadow

    def _llm(self) -> LLMEngine | None:
        return next((e for e in self.chain if isinstance(e, LLMEngine)), None)

    def translator(self) -> Translator | None:
        """The LLM's translator, when the chain has the LLM."""
        llm = self._llm()
        return llm.translator() if llm is not None else None

    def answer_writer(self) -> Callable[[str, str], str | None] | None:
        """The LLM's answer writer (an article's text, a language -> a short answer), when the
        chain has the LLM."""
        llm = self._llm()
        return llm.answer_writer() if llm is not None else None

    def judge(self) -> Callable[[str, str], tuple[str, str, int, int]] | None:
        """The LLM's judging call (its reply with the tokens it used), when the chain has it."""
        llm = self._llm()
        return llm.judge() if llm is not None else None

    def text_writer(self) -> Callable[[str, str], str] | None:
        """The LLM's plain-text call, when the chain has the LLM."""
        llm = self._llm()
        return llm.text_writer() if llm is not None else None

    def reopening(self, name: str, path: Path, opener: Opener) -> ReopeningStep:
        """``serve``'s step on a file a sync rewrites: reopened when it changes (said in the
        log)."""

        def warn(line: str) -> None:
            self.log.emit("step_file_unreadable", level="warning", step=name, error=line)

        def told(line: str) -> None:
            self.log.emit("step_file_reopened", step=name, file=path.name)

        return ReopeningStep(name, path, opener, warn=warn, told=told)


@dataclass(frozen=True)
class PassRun:
    """The run's parts a feature's pass may use. ``backfill``: the pass serves a backfill's
    slice, not the cron run; ``routes``: the routes the run resolved; ``journal`` and
    ``claims``: the run's write journal and claims; ``should_stop``: the run's bound spent or a
    signal."""

    helpdesk: Helpdesk
    options: RunOptions
    backfill: bool
    routes: Sequence[Route]
    journal: WriteJournal | None
    claims: WriteClaims | None
    should_stop: Callable[[], object]


@runtime_checkable
class Escalating(Protocol):
    """A feature's pass that escalates tickets of its own: the run's escalation passes send
    them with the routes' (ticket id -> its redacted subject and the routes)."""

    def escalations(self) -> dict[int, tuple[str, tuple[str, ...]]]: ...


# What ``kb sync`` calls after the help centre: the state directory, a connection to the
# helpdesk (opened only when asked), and ``--solved``'s moment (None when not given) -> a line
# to say, or None when the feature has nothing to sync.
KbSync = Callable[[Path, Callable[[], Helpdesk], "datetime | None"], "str | None"]


# What sees each ticket the run's discovery reads, taken or not (not a shadow run's): the run's
# log, the ticket, the tag prefix. Free of requests: the ticket as listed is all it has.
Sees = Callable[[EventSink, Ticket, str], None]
# How an agent approves a change a feature proposed, outside the helpdesk (``serve``'s API, the
# dashboard's ticket page): ticket id, the change, who -> the status it found (None: no such).
Approve = Callable[[int, str, str], "str | None"]


@dataclass(frozen=True, eq=False)  # one feature's declaration: equal to itself alone
class Feature(Generic[Values]):
    """One feature: its name (its folder's), the settings it reads (``values``), its steps,
    its pass and what it declares without a run."""

    name: str
    values: type[Values]
    steps: Callable[[Values, FeatureRun], Sequence[TicketStep]] | None = None
    run_pass: Callable[[Values, PassRun], RunPass | None] | None = None
    extras: StepExtras = field(default_factory=StepExtras)
    kb_sync: KbSync | None = None
    sees: Sees | None = None
    approver: Callable[[Values], Approve | None] | None = None
    # The state files it writes encrypted when a key is set: every command checks, before it
    # reads or writes anything, that the key given opens them.
    sealed_files: tuple[str, ...] = ()

    def open_steps(self, settings: object, run: FeatureRun) -> list[TicketStep]:
        """The feature's steps this run, its values read from ``settings``."""
        return [] if self.steps is None else list(self.steps(self.read(settings), run))

    def open_pass(self, settings: object, run: PassRun) -> RunPass | None:
        """The feature's pass this run, or None."""
        return None if self.run_pass is None else self.run_pass(self.read(settings), run)

    def approve_with(self, settings: object) -> Approve | None:
        """How an agent approves this feature's proposed changes, or None (none it proposes, or
        it is off)."""
        return None if self.approver is None else self.approver(self.read(settings))

    def read(self, settings: object) -> Values:
        """The feature's values: each field of ``values`` is the setting of the same name."""
        names = getattr(self.values, "__dataclass_fields__", {})
        return self.values(**{name: getattr(settings, name) for name in names})
