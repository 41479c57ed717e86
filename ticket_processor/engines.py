"""The one builder of the engine chain (LLM → learned model → rules) for run, eval and demo.

``--engine llm`` (the default) means "the best engine available": the LLM when one is
configured, else the learned model when a model file exists, else the keyword rules — and the
run says which (``ChainChoice.notes``). ``--engine learned`` starts at the model, ``--engine
rules`` uses the rules alone. The rules close every chain, so every ticket is triaged.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from .models import Engine
from .resilience import CircuitBreaker, RetryPolicy
from .rules import RulesEngine
from .scrub import display_url
from .settings import Settings
from .taxonomy import Taxonomy
from .triage import LLMEngine, LocalEngine, TriageEngine

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


def build_llm(
    settings: Settings,
    taxonomy: Taxonomy,
    *,
    workers: int,
    breaker: CircuitBreaker | None,
    retry: RetryPolicy = LLM_RETRY,
    on_event: Callable[..., object] | None = None,
) -> LLMEngine:
    from .llm import build_analyser  # only the LLM path pays for importing openai

    analyser = build_analyser(
        settings,
        workers=workers,
        breaker=breaker,
        taxonomy=taxonomy,
        retry=retry,
        on_event=on_event,
    )
    return LLMEngine(analyser)


def build_learned(settings: Settings, taxonomy: Taxonomy) -> tuple[TriageEngine | None, str]:
    """The learned model if a model file is there and fits the taxonomy; else why not."""
    try:
        module = importlib.import_module(f"{__package__}.learned")
    except ImportError:
        return None, "no learned engine in this build"
    load: Callable[[Settings, Taxonomy], tuple[TriageEngine | None, str]] = module.load_engine
    return load(settings, taxonomy)


def build_chain(
    settings: Settings,
    taxonomy: Taxonomy,
    engine: Engine,
    *,
    workers: int,
    llm_breaker: CircuitBreaker | None = None,
    llm_retry: RetryPolicy | None = None,
    llm_factory: Callable[..., TriageEngine] | None = None,
    on_event: Callable[..., object] | None = None,
) -> ChainChoice:
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
                )
            )
        else:
            notes.append("no LLM configured (OPENAI_API_KEY / OPENAI_BASE_URL)")
    learned, why = build_learned(settings, taxonomy)
    if learned is not None:
        chain.append(learned)
    elif engine == "learned" or not chain:
        notes.append(f"no learned model ({why})")
    chain.append(rules)
    if engine == "llm" and not settings.llm_configured:
        notes.append(f"using the {chain[0].name} engine")
        return ChainChoice(chain, chain[0].name, notes)
    return ChainChoice(chain, engine, notes)
