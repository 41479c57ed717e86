"""``ticketbot eval``: run an engine over a labelled JSON-lines file and score it.

Reads the file (``id``, ``source``, ``subject``, ``description``, ``labels``), predicts every
row with the keyword rules or the configured LLM (concurrently, with a per-row fallback to the
rules when the LLM fails, exactly as a real run would), and hands the predictions to the pure
metrics in ``evaluate.py``. Printing is ``eval_report.py``'s job.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from .errors import ConfigError, TicketBotError
from .evaluate import FieldReport, evaluate
from .models import Analysis, Sentiment, Triage, Urgency
from .prepare import PreparedTicket, prepare_ticket
from .resilience import CircuitBreaker, Retrier, RetryPolicy
from .rules import RulesEngine
from .settings import Settings
from .taxonomy import Taxonomy

# As in a run: a few bounded retries that honour Retry-After.
EVAL_LLM_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=30.0)


class TicketEngine(Protocol):
    """An offline engine over prepared text (``learned.LearnedEngine`` satisfies it)."""

    def analyse(self, subject: str, body: str) -> Analysis: ...


class TicketAnalyser(Protocol):
    """What eval needs of the LLM path (``llm.LLMAnalyser`` satisfies it)."""

    def analyse(self, ticket: PreparedTicket) -> Triage: ...


@dataclass(frozen=True)
class LabelledTicket:
    id: str
    source: str
    subject: str
    description: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Prediction:
    id: str
    category: str
    urgency: str
    sentiment: str
    engine: str
    fallback_reason: str | None = None

    def as_line(self) -> dict[str, str]:
        """The ``--predictions`` line of this row."""
        return {
            "id": self.id,
            "category": self.category,
            "urgency": self.urgency,
            "sentiment": self.sentiment,
            "engine": self.engine,
        }


@dataclass
class EvalResult:
    file: str
    engine: str
    rows: int
    seconds: float
    predictions: list[Prediction]
    fields: dict[str, FieldReport]
    fallback_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def fallbacks(self) -> int:
        return sum(self.fallback_reasons.values())


def load_labelled(path: Path, *, limit: int | None = None) -> list[LabelledTicket]:
    """The rows of a labelled JSONL file; a malformed line is a usage error naming the line."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    rows: list[LabelledTicket] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ConfigError(f"{path}:{number}: not a JSON object") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}:{number}: not a JSON object")
        labels = data.get("labels") or {}
        if not isinstance(labels, dict):
            raise ConfigError(f"{path}:{number}: 'labels' must be an object")
        rows.append(
            LabelledTicket(
                id=str(data.get("id", number)),
                source=str(data.get("source") or "unknown"),
                subject=str(data.get("subject") or ""),
                description=str(data.get("description") or ""),
                labels={str(k): str(v) for k, v in labels.items() if v is not None},
            )
        )
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        raise ConfigError(f"{path}: no rows to evaluate")
    return rows


def _from_rules(row: LabelledTicket, rules: RulesEngine, reason: str | None = None) -> Prediction:
    analysis = rules.analyse(row.subject, row.description)
    return Prediction(
        row.id,
        analysis.category,
        analysis.urgency.value,
        analysis.sentiment.value,
        "rules",
        reason,
    )


def predict_rules(rows: Sequence[LabelledTicket], rules: RulesEngine) -> list[Prediction]:
    return [_from_rules(row, rules) for row in rows]


def predict_offline(
    rows: Sequence[LabelledTicket],
    engine: TicketEngine,
    name: str,
    *,
    max_input_tokens: int = 2000,
    on_progress: Callable[[], None] = lambda: None,
) -> list[Prediction]:
    """Every row through an offline engine, on prepared text as a run would feed it."""
    predictions = []
    for row in rows:
        prepared = prepare_ticket(row.subject, row.description, max_tokens=max_input_tokens)
        analysis = engine.analyse(prepared.subject, prepared.body)
        predictions.append(
            Prediction(
                row.id, analysis.category, analysis.urgency.value, analysis.sentiment.value, name
            )
        )
        on_progress()
    return predictions


def predict_llm(
    rows: Sequence[LabelledTicket],
    analyser: TicketAnalyser,
    rules: RulesEngine,
    *,
    workers: int,
    max_input_tokens: int = 2000,
    on_progress: Callable[[], None] = lambda: None,
) -> list[Prediction]:
    """Every row through the LLM, ``workers`` at a time; a failed row falls back to the rules."""

    def one(row: LabelledTicket) -> Prediction:
        try:
            prepared = prepare_ticket(row.subject, row.description, max_tokens=max_input_tokens)
            triage = analyser.analyse(prepared)
            analysis = triage.analysis
            prediction = Prediction(
                row.id,
                analysis.category,
                analysis.urgency.value,
                analysis.sentiment.value,
                "llm",
            )
        except TicketBotError as exc:  # LLMError, or BreakerOpenError once the LLM is down
            prediction = _from_rules(row, rules, reason=type(exc).__name__)
        on_progress()
        return prediction

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eval") as pool:
        return list(pool.map(one, rows))


def build_llm_analyser(settings: Settings, taxonomy: Taxonomy) -> TicketAnalyser:
    """The analyser ``--engine llm`` measures: the configured endpoint, retried, with a breaker.

    A dead endpoint opens the breaker after a few failures, and the remaining rows go straight
    to the rules instead of each waiting through its own retries.
    """
    if not settings.llm_configured:
        raise ConfigError(
            "--engine llm needs an endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL "
            "in .env or the environment"
        )
    from .llm import LLMAnalyser  # only the LLM path pays for importing openai

    api_key = settings.openai_api_key
    return LLMAnalyser(
        models=settings.models,
        taxonomy=taxonomy,
        api_key=api_key.get_secret_value() if api_key else None,
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        retrier=Retrier(EVAL_LLM_RETRY, breaker=CircuitBreaker("llm")),
    )


def allowed_values(taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """The label values each field is scored on; anything else is out of taxonomy."""
    return {
        "category": taxonomy.names,
        "urgency": tuple(level.value for level in Urgency),
        "sentiment": tuple(value.value for value in Sentiment),
    }


def run_eval(
    path: Path,
    taxonomy: Taxonomy,
    *,
    engine: str = "rules",
    analyser: TicketAnalyser | None = None,
    learned: TicketEngine | None = None,
    limit: int | None = None,
    workers: int = 8,
    max_input_tokens: int = 2000,
    on_progress: Callable[[], None] = lambda: None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvalResult:
    """Load, predict and score; ``analyser`` is required for ``engine="llm"``, ``learned``
    for ``engine="learned"``."""
    rows = load_labelled(path, limit=limit)
    rules = RulesEngine(taxonomy)
    started = clock()
    if engine == "llm":
        if analyser is None:
            raise ConfigError("--engine llm needs an LLM analyser")
        predictions = predict_llm(
            rows,
            analyser,
            rules,
            workers=workers,
            max_input_tokens=max_input_tokens,
            on_progress=on_progress,
        )
    elif engine == "learned":
        if learned is None:
            raise ConfigError("--engine learned needs a learned model")
        predictions = predict_offline(
            rows,
            learned,
            "learned",
            max_input_tokens=max_input_tokens,
            on_progress=on_progress,
        )
    else:
        predictions = predict_rules(rows, rules)
    seconds = clock() - started
    labelled: list[dict[str, Any]] = [{"source": row.source, "labels": row.labels} for row in rows]
    predicted = [
        {"category": p.category, "urgency": p.urgency, "sentiment": p.sentiment}
        for p in predictions
    ]
    reasons = Counter(p.fallback_reason for p in predictions if p.fallback_reason)
    return EvalResult(
        file=str(path),
        engine=engine,
        rows=len(rows),
        seconds=seconds,
        predictions=predictions,
        fields=evaluate(labelled, predicted, allowed_values(taxonomy)),
        fallback_reasons=dict(reasons),
    )


def write_predictions(path: Path, predictions: Sequence[Prediction]) -> None:
    """One JSON object a line: id, category, urgency, sentiment, engine."""
    try:
        with path.open("wb") as out:
            for prediction in predictions:
                out.write(orjson.dumps(prediction.as_line()) + b"\n")
    except OSError as exc:
        raise ConfigError(f"--predictions: cannot write {path}: {exc.strerror}") from None
