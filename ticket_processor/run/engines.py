"""The one builder of the engine chain (LLM → learned model → rules) for run, eval and demo,
and of the LLM analyser from the settings (``build_analyser``: run, eval, health).

``--engine llm`` (the default) means "the best engine available": the LLM when one is
configured, else the learned model when a model file exists, else the keyword rules — and the
run says which (``ChainChoice.notes``). ``--engine learned`` starts at the model, ``--engine
rules`` uses the rules alone. The rules close every chain, so every ticket is triaged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..common.scrub import display_url
from ..errors import ConfigError
from ..learned import MODEL_FILE_NAME, bundled_model_path, bundled_model_taxonomy, open_engine
from ..llm_client.budget import SharedBudget, default_key
from ..llm_client.pacer import LLMPacer
from ..models import Engine, Triage
from ..passes.types import RunOptions
from ..resilience.breaker import CircuitBreaker
from ..resilience.deadline import RunDeadline
from ..resilience.pacing import AUTO_LLM_START, AdaptiveLimit, resolve_workers
from ..resilience.retry import Retrier, RetryPolicy
from ..resilience.stopping import StopFlag
from ..settings import Settings
from ..triage.cascade import CascadeEngine
from ..triage.chain import LLMEngine, LocalEngine, TriageEngine
from ..triage.llm_calibration import load as load_calibration
from ..triage.prepare import PreparedTicket
from ..triage.rules import RulesEngine
from ..triage.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from ..llm import LLMAnalyser

P = ParamSpec("P")
R = TypeVar("R")

# A 429 gets more tries and waits out a whole rate-limit minute: the endpoint is up, and the
# adaptive limit is meanwhile bringing the run down to its rate.
LLM_RETRY = RetryPolicy(
    attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=60.0, throttled_attempts=6
)


@dataclass
class ChainChoice:
    chain: list[TriageEngine]
    preferred: Engine
    notes: list[str] = field(default_factory=list)  # what the user should be told

    @property
    def names(self) -> list[str]:
        return [engine.name for engine in self.chain]


def llm_breaker_name(settings: Settings) -> str:
    return f"llm@{display_url(settings.openai_base_url or 'https://api.openai.com/v1')}"


def analyser_factory(
    settings: Settings,
    *,
    workers: int,
    breaker: CircuitBreaker | None,
    on_event: Callable[..., object] | None = None,
    taxonomy: Taxonomy | None = None,
    retry: RetryPolicy | None = LLM_RETRY,
    timeout: float | None = None,
    auto_workers: bool = False,
    deadline: RunDeadline | None = None,
    stop: StopFlag | None = None,
) -> Callable[[], LLMAnalyser]:
    """The analyser every command uses, from the settings; the one place one is built, in
    two halves: the settings are read and checked now (a bad one fails before the run
    starts), the analyser is made when the returned function is called: that is when openai,
    most of a second of CPU to import, is loaded (``build_analyser`` makes it at once).

    ``workers`` is the most calls that may be in flight (the threads that call ``analyse``):
    the connection pool, the adaptive limit and the pacer are sized to it. For ``--workers
    auto`` pass the ceiling and ``auto_workers``: the adaptive limit then starts low and follows
    the endpoint's latency, and the pacer keeps the calls in flight at what the endpoint's
    announced rate sustains (``analyser.concurrency()`` says what bound it). ``breaker`` counts
    the endpoint's failures (None with ``retry=None``: one try, as ``health`` probes).
    ``on_event(name, **fields)`` hears each retry (``llm_retry``), e.g. ``EventLog.emit``.
    ``stop``: the run's request to stop, which ends every wait of a call (a 429's
    ``Retry-After``, the rate limit, the shared budget) at once (``resilience.stopping``).
    """
    key = settings.openai_api_key

    def retried(attempt: int, exc: BaseException, wait: float) -> None:
        if on_event is not None:
            on_event("llm_retry", attempt=attempt, error=type(exc).__name__, wait_s=round(wait, 3))

    sleep = stop.sleep if stop is not None else time.sleep
    retrier = (
        Retrier(retry or RetryPolicy(attempts=1), breaker=breaker, on_retry=retried, sleep=sleep)
        if retry is not None or breaker is not None
        else None
    )
    workers = max(1, workers)
    chosen = taxonomy if taxonomy is not None else load_taxonomy(settings.taxonomy_file)
    limit = (
        AdaptiveLimit(workers, start=AUTO_LLM_START, follow_latency=True)
        if auto_workers
        else AdaptiveLimit(workers)
    )
    pacer = LLMPacer(workers, stop=stop)
    budget = shared_budget(settings, deadline, sleep=sleep)

    def make() -> LLMAnalyser:
        # openai takes most of a second to import: a run on the rules or the learned model,
        # a run with no ticket, and every command that builds no analyser never load it.
        from ..llm import LLMAnalyser

        return LLMAnalyser(
            models=settings.models,
            taxonomy=chosen,
            api_key=key.get_secret_value() if key else None,
            base_url=settings.openai_base_url,
            timeout=timeout if timeout is not None else settings.llm_timeout,
            retrier=retrier,
            limit=limit,
            pacer=pacer,
            budget=budget,
            reply_draft=settings.reply_draft,
            spam=settings.spam_gate,
            fault=settings.incidents,  # the incident grouping weighs the LLM's view with its head
            person_needed=settings.answer_mode != "off",  # read before any answer is sent
            # The note's translation and summary in the agents' language, in the triage call.
            agent_language=settings.agent_language,
            pool_size=workers,
            max_answer_bytes=settings.llm_max_bytes,
        )

    return make


def _made_now(factory: Callable[P, Callable[[], R]]) -> Callable[P, R]:
    def build(*args: P.args, **kwargs: P.kwargs) -> R:
        return factory(*args, **kwargs)()

    return build


# ``analyser_factory``'s analyser, made at once (its options and their meaning are the same).
build_analyser = _made_now(analyser_factory)


def shared_budget(
    settings: Settings,
    deadline: RunDeadline | None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> SharedBudget | None:
    """The LLM budget every process on this key shares (``TICKETBOT_LLM_BUDGET``), or None."""
    if settings.llm_budget is None:
        return None
    if settings.llm_rpm is None:
        raise ConfigError(
            "TICKETBOT_LLM_BUDGET needs TICKETBOT_LLM_RPM: the calls a minute your provider "
            "allows the organisation (and TICKETBOT_LLM_TPM for its tokens, if it limits them)"
        )
    key = settings.openai_api_key
    return SharedBudget(
        settings.llm_budget.get_secret_value(),
        key=settings.llm_budget_key
        or default_key(key.get_secret_value() if key else None, settings.openai_base_url),
        rpm=settings.llm_rpm,
        tpm=settings.llm_tpm,
        deadline=deadline,
        sleep=sleep,
    )


def build_llm(
    settings: Settings,
    taxonomy: Taxonomy,
    *,
    workers: int,
    breaker: CircuitBreaker | None,
    retry: RetryPolicy = LLM_RETRY,
    on_event: Callable[..., object] | None = None,
    auto_workers: bool = False,
    deadline: RunDeadline | None = None,
    stop: StopFlag | None = None,
) -> LLMEngine:
    make = analyser_factory(
        settings,
        workers=workers,
        breaker=breaker,
        taxonomy=taxonomy,
        retry=retry,
        on_event=on_event,
        auto_workers=auto_workers,
        deadline=deadline,
        stop=stop,
    )
    return LLMEngine(DeferredAnalyser(make))


class DeferredAnalyser:
    """The run's LLM analyser, made on the first call that needs it: a run that finds no
    ticket (most cron runs of a quiet queue) never imports openai nor opens its pool. Until
    then ``concurrency`` has nothing to say."""

    def __init__(self, make: Callable[[], LLMAnalyser]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self._made: LLMAnalyser | None = None

    def made(self) -> LLMAnalyser:
        """The analyser, made now if no call has needed it yet."""
        made = self._made
        if made is None:
            with self._lock:
                if self._made is None:
                    self._made = self._make()
                made = self._made
        return made

    def analyse(self, ticket: PreparedTicket) -> Triage:
        return self.made().analyse(ticket)

    def complete_text(self, system: str, user: str) -> str:
        return self.made().complete_text(system, user)

    def judge_text(self, system: str, user: str) -> tuple[str, str, int, int]:
        return self.made().judge_text(system, user)

    def write_answer(self, article: str, language: str) -> str | None:
        return self.made().write_answer(article, language)

    def translate(self, text: str, language: str) -> str | None:
        return self.made().translate(text, language)

    def concurrency(self) -> dict[str, Any]:
        return self._made.concurrency() if self._made is not None else {}


class LazyLearned:
    """The learned engine as a fallback link: the model (and its sentence encoder, tens of MB)
    is loaded on the first ticket that needs it, so a run whose LLM answers never pays for it.
    A model that cannot be loaded makes the link fail, and the rules take the ticket."""

    def __init__(self, path: Path, taxonomy: Taxonomy) -> None:
        self._path = path
        self._taxonomy = taxonomy
        self._lock = threading.Lock()
        self._engine: LocalEngine | None = None
        self._failure: str | None = None

    @property
    def name(self) -> Engine:
        return "learned"

    def analyse(self, ticket: PreparedTicket) -> Triage:
        with self._lock:
            if self._engine is None and self._failure is None:
                from ..learned import LearnedEngine, load_model  # numpy: only when asked

                model, reason = load_model(self._path, self._taxonomy.names)
                if model is None:
                    self._failure = reason or "unusable model file"
                else:
                    self._engine = LocalEngine("learned", LearnedEngine(model, self._taxonomy))
        if self._engine is None:
            raise ConfigError(f"the learned model is not usable: {self._failure}")
        return self._engine.analyse(ticket)


def build_learned(
    settings: Settings, taxonomy: Taxonomy, *, offline_first: bool
) -> tuple[TriageEngine | None, str]:
    """The learned link, or why there is none.

    A model the user trained (``TICKETBOT_LEARNED_MODEL``, or the state directory's
    ``learned-model.zip``) is used when there is one, else the model bundled with the package
    (trained on public tickets): it triages better than the rules on the shipped samples, so a
    configured LLM that cannot be reached hands its tickets to it, not to the rules. Behind an
    LLM, and for the bundled model, the link is lazy (``LazyLearned``): a run whose LLM answers,
    or that finds no ticket, never loads it. A taxonomy that lists examples, with no model
    learned for it, gets the model fitted on its descriptions and examples
    (``learned.examples``), cached in the state directory.
    """
    own = settings.learned_model or settings.state_dir / MODEL_FILE_NAME
    path = own if settings.learned_model is not None or own.exists() else bundled_model_path()
    if taxonomy.has_examples and (path == bundled_model_path() or not _fits(path, taxonomy)):
        # No model learned for this taxonomy: the one fitted on its descriptions and examples.
        from ..learned.examples.cache import ExamplesLink

        link = ExamplesLink(taxonomy, settings.state_dir)
        failure = None if not offline_first else link.ready()
        return (None, failure) if failure else (link, EXAMPLES_NOTE)
    if not offline_first or (
        path == bundled_model_path() and bundled_model_taxonomy() == taxonomy.names
    ):
        # The bundled model ships with the package and its header says it fits: loading it
        # (numpy, the arrays, about 0.1 s of CPU) waits for a ticket, so a run that finds
        # none pays nothing for it.
        return LazyLearned(path, taxonomy), ""
    from ..learned import LearnedEngine, load_model  # numpy: only now the model is needed

    model, reason = load_model(path, taxonomy.names)
    if model is not None:
        return LocalEngine("learned", LearnedEngine(model, taxonomy)), ""
    if path == bundled_model_path():
        return None, reason or "unusable model file"
    # The user's model is refused (damaged, hostile, for another taxonomy): the bundled one
    # still beats the rules, and the run says which model it used and why.
    bundled, _ = load_model(bundled_model_path(), taxonomy.names)
    if bundled is None:
        return None, reason or "unusable model file"
    engine = LocalEngine("learned", LearnedEngine(bundled, taxonomy))
    return engine, f"{reason}; using the bundled model instead"


EXAMPLES_NOTE = "learned: fitted on the taxonomy's descriptions and examples"


def _fits(path: Path, taxonomy: Taxonomy) -> bool:
    from ..learned import load_model  # numpy: only when a taxonomy lists examples

    return load_model(path, taxonomy.names)[0] is not None


def build_chain(
    settings: Settings,
    taxonomy: Taxonomy,
    engine: Engine,
    *,
    workers: int,
    auto_workers: bool = False,
    llm_breaker: CircuitBreaker | None = None,
    llm_retry: RetryPolicy | None = None,
    llm_factory: Callable[..., TriageEngine] | None = None,
    on_event: Callable[..., object] | None = None,
    llm_calibration: bool = True,
    cascade: bool = False,
    apply_at: dict[str, float] | None = None,
    suggest_at: dict[str, float] | None = None,
    deadline: RunDeadline | None = None,
    stop: StopFlag | None = None,
) -> ChainChoice:
    """The chain for ``engine``; ``llm_calibration``: use the state directory's calibration of
    the LLM when it is for this model and taxonomy (``ticketbot calibrate`` fits it without).
    ``deadline``: the run's bound, which ends a wait for the shared LLM budget; ``stop``: the
    run's request to stop, which ends every wait of an LLM call."""
    rules = LocalEngine("rules", RulesEngine(taxonomy))
    if engine == "rules":
        return ChainChoice([rules], "rules")
    chain: list[TriageEngine] = []
    notes: list[str] = []
    if engine == "llm":
        if settings.llm_configured:
            make = llm_factory or build_llm
            retry = llm_retry or LLM_RETRY  # read now: tests shrink the module's policy
            chain.append(
                make(
                    settings,
                    taxonomy,
                    workers=workers,
                    breaker=llm_breaker,
                    retry=retry,
                    on_event=on_event,
                    auto_workers=auto_workers,
                    deadline=deadline,
                    stop=stop,
                )
            )
            if llm_calibration and isinstance(chain[0], LLMEngine):
                found, why = load_calibration(
                    settings.state_dir, settings.models[0], taxonomy.names
                )
                chain[0].calibration = found
                if why:
                    notes.append(why)
        else:
            notes.append("no LLM configured (OPENAI_API_KEY / OPENAI_BASE_URL)")
    offline_first = engine == "learned" or not chain
    learned, why = build_learned(settings, taxonomy, offline_first=offline_first)
    if learned is not None and cascade and chain and isinstance(chain[0], LLMEngine):
        chain[0] = CascadeEngine(
            chain[0],
            learned,
            threshold=settings.confidence_threshold,
            apply_at=apply_at,
            suggest_at=suggest_at,
            needed=tuple(settings.cascade_fields.split(",")),
        )
        notes.append("cascade: the learned model first, the LLM where it is not sure enough")
    if learned is not None:
        chain.append(learned)
        if why:  # a refused model, replaced by the bundled one
            notes.append(why)
    elif engine == "learned" or not chain:
        notes.append(f"no learned model ({why})")
    chain.append(rules)
    if engine == "llm" and not settings.llm_configured:
        notes.append(f"using the {chain[0].name} engine")
        return ChainChoice(chain, chain[0].name, notes)
    return ChainChoice(chain, engine, notes)


def run_chain(
    settings: Settings,
    taxonomy: Taxonomy,
    options: RunOptions,
    *,
    llm_breaker: CircuitBreaker,
    on_event: Callable[..., object],
    deadline: RunDeadline | None = None,
    stop: StopFlag | None = None,
) -> ChainChoice:
    """The chain of a run (and of ``serve``, which triages as a run does) from its options;
    ``stop`` ends its LLM calls' waits (``resilience.stopping``)."""
    return build_chain(
        settings,
        taxonomy,
        options.engine,
        workers=options.workers,
        auto_workers=options.auto_workers,
        llm_breaker=llm_breaker,
        on_event=on_event,
        cascade=settings.cascade,
        apply_at=options.apply_at,
        suggest_at=options.suggest_at,
        deadline=deadline,
        stop=stop,
    )


# What ``eval`` retries with: as in a run, a few bounded retries that honour Retry-After (a 429
# waits less than ``LLM_RETRY`` lets a run wait).
EVAL_LLM_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=30.0)


def eval_workers(settings: Settings, engine: Engine) -> tuple[int, bool]:
    """Rows analysed at once, and whether the LLM's calls follow the endpoint (auto)."""
    llm = engine == "llm" and settings.llm_configured
    return resolve_workers(settings.workers, llm=llm)


def build_eval_chain(settings: Settings, taxonomy: Taxonomy, engine: Engine) -> ChainChoice:
    """The chain ``--engine`` measures, built as a run builds it. The LLM has a breaker of its
    own (not the run's persisted one): a dead endpoint opens it after a few failures and the
    remaining rows go straight down the chain instead of each waiting through its retries."""
    if engine == "llm" and not settings.llm_configured:
        raise ConfigError(
            "--engine llm needs an endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL "
            "in .env or the environment"
        )
    if engine == "learned" and taxonomy.has_examples:
        learned, why = build_learned(settings, taxonomy, offline_first=True)
        if learned is None:
            raise ConfigError(why)
        return ChainChoice([learned, LocalEngine("rules", RulesEngine(taxonomy))], "learned")
    if engine == "learned":
        # Measuring the learned engine with no usable model would score the rules: an error.
        model = LocalEngine(
            "learned", open_engine(settings.learned_model, settings.state_dir, taxonomy)
        )
        return ChainChoice([model, LocalEngine("rules", RulesEngine(taxonomy))], "learned")
    workers, auto = eval_workers(settings, engine)
    return build_chain(
        settings,
        taxonomy,
        engine,
        workers=workers,
        auto_workers=auto,
        llm_breaker=CircuitBreaker("llm"),
        llm_retry=EVAL_LLM_RETRY,
    )
