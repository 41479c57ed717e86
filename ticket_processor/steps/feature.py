"""What a feature declares to the run, as a helpdesk kind's ``kind.py`` declares a helpdesk: one
``Feature`` in ``<feature>/feature.py``, listed once in ``features/registry.py``.

A feature names the settings it reads (``values``: a dataclass whose fields are named as the
settings are, filled by the run from the settings and handed to the feature as plain values),
how it opens its per-ticket steps (``steps``: from those values and the run's parts it may use,
``FeatureRun``), its after-run pass (``run_pass``, from the values and ``PassRun``), what it
declares without a run (``extras``: its fields of the triage API's answer, its entries in the
help-centre index), what ``kb sync`` calls (``kb_sync``), what sees every ticket the run reads
(``sees``) and how an agent approves a change it proposed (``approver``); for the commands,
the state files it keeps encrypted (``sealed_files``), the helpdesk field it writes
(``own_field``), its scores in ``eval`` (``evals``, ``scores_file``), what ``learn`` fits
for it (``learner``), what ``revert`` undoes of its writes (``revert``), its part of
``report`` (``report``) and what the dashboard sends a reviewed draft through
(``reviewer``). The run loops over the registry in its order: a feature's steps run in that
order on each ticket, and its pass after the steps' own passes, in that order too. A feature
that is off returns no step and no pass, and imports nothing of its own past its
``feature.py``.

A minimal feature, one tag on every ticket it judges (``steps.protocol``'s ``HelloStep``)::

    FEATURE = Feature("hello", NoValues, steps=lambda values, run: [HelloStep()])

and ``register(FEATURE)`` (``features.registry``), or a line in its ``FEATURES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from ..common.eventlog import EventSink
from ..kb.index import ArticleIndex
from ..models import Helpdesk, HelpdeskField, Ticket, WriteJournal
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
from .revert import RevertAsk, RunRevert

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


@dataclass(frozen=True)
class OwnField:
    """A helpdesk field a feature writes, named by its setting: ``resolve`` finds it among the
    helpdesk's fields (or raises a ``ConfigError`` saying what the helpdesk has), ``describe``
    is the line ``fields check`` prints of it. The dashboard's ticket page shows its value."""

    name: str
    resolve: Callable[[Sequence[HelpdeskField]], HelpdeskField]
    describe: Callable[[HelpdeskField], str]


@dataclass(frozen=True)
class EvalAsk:
    """What ``ticketbot eval`` was asked: the labelled file, ``--json``, ``--engine llm``,
    ``--limit`` and ``--model``."""

    file: Path
    as_json: bool
    llm: bool
    limit: int | None
    model: Path | None


@dataclass(frozen=True)
class Learner:
    """What ``ticketbot learn`` fits for a feature beside the label model (``learn --<name>``
    alone, and after the label model with ``--from-helpdesk``): ``what`` it writes, as a
    failure's line names it, and ``learn(settings, target, data, since, force=, console=)``
    (``data`` None: from the helpdesk's solved tickets since ``since``)."""

    what: str
    learn: Callable[..., object]


@dataclass(frozen=True)
class ReportAsk:
    """What ``ticketbot report`` hands a feature: the settings, the window's events (scrubbed)
    and the window."""

    settings: Any
    events: Sequence[Mapping[str, Any]]
    start: datetime
    now: datetime


@dataclass(frozen=True)
class ReportPart:
    """A feature's part of ``ticketbot report``: its key and figures in ``--json``, its lines
    after the report's table, its sections of the ``--html`` page (after the spam gate's)."""

    key: str
    figures: Mapping[str, Any]
    lines: Sequence[str]
    html: Sequence[str] = ()


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
    # The helpdesk field its settings name, when they name one (``fields check``, the dashboard).
    own_field: Callable[[Values], OwnField | None] | None = None
    # ``ticketbot eval --<option>``'s scores of this feature on a labelled file, by option.
    evals: Mapping[str, Callable[[EvalAsk], None]] = field(default_factory=dict)
    # ``ticketbot eval FILE`` on rows that are this feature's to score: their scores from the
    # settings, or None (not its rows).
    scores_file: Callable[[Path], Callable[[Any], None] | None] | None = None
    # What ``ticketbot learn`` fits for it.
    learner: Learner | None = None
    # What ``ticketbot revert`` undoes of its writes of one run (``steps.revert``), or None.
    revert: Callable[[Values, RevertAsk], RunRevert | None] | None = None
    # What the dashboard's review queue sends a reviewed draft through: from a connection to
    # the helpdesk (opened for each review) and the review writers' shared arguments.
    reviewer: Callable[[Callable[[], Helpdesk], Mapping[str, Any]], Any] | None = None
    # Its part of ``ticketbot report``.
    report: Callable[[ReportAsk], ReportPart] | None = None

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

    def field_with(self, settings: object) -> OwnField | None:
        """The helpdesk field this feature writes with these settings, or None."""
        return None if self.own_field is None else self.own_field(self.read(settings))

    def revert_with(self, settings: object, ask: RevertAsk) -> RunRevert | None:
        """This feature's writes of the run ``ask`` names, to undo, or None."""
        return None if self.revert is None else self.revert(self.read(settings), ask)

    def read(self, settings: object) -> Values:
        """The feature's values: each field of ``values`` is the setting of the same name."""
        names = getattr(self.values, "__dataclass_fields__", {})
        return self.values(**{name: getattr(settings, name) for name in names})
