"""``ticketbot eval``: run an engine over a labelled JSON-lines file and score it.

Reads the file (``id``, ``source``, ``subject``, ``description``, ``labels``), prepares every
row as a run does (trimmed, cut to the token budget, personal data replaced) and predicts it
with the run's own ``triage()`` over the engine chain ``--engine`` picks (concurrently; a row the
first engine fails falls back down the chain, exactly as in a run), then hands the predictions
to the pure metrics in ``scoring.py``. Printing is ``display.py``'s job.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..errors import ConfigError
from ..models import Engine, Sentiment, Triage, Urgency, sanitise_tag
from ..resilience.breaker import CircuitBreaker
from ..resilience.pacing import resolve_workers
from ..resilience.retry import RetryPolicy
from ..run.engines import ChainChoice, build_chain
from ..settings import Settings
from ..triage.chain import TriageEngine, triage
from ..triage.confidence import field_decisions
from ..triage.prepare import prepare_ticket
from ..triage.reply_kind import KINDS, ReplyEngine, classify_reply
from ..triage.reply_text import strip_reply
from ..triage.taxonomy import Taxonomy
from .reliability import FieldReliability, field_reliability
from .scoring import FIELDS, NO_SUBCATEGORY, FieldReport, evaluate

# As in a run: a few bounded retries that honour Retry-After.
EVAL_LLM_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=30.0)


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
    subcategory: str | None = None
    # Per field: the (calibrated, where the engine is) confidence and apply/suggest/abstain.
    confidence: dict[str, float] = field(default_factory=dict)
    decisions: dict[str, str] = field(default_factory=dict)
    calibrated: bool = False
    # A customer's reply (a row labelled with ``reply_kind``): what kind the reply was judged.
    reply_kind: str | None = None

    def as_line(self) -> dict[str, object]:
        """The ``--predictions`` line of this row: each field's value, its confidence and
        whether ticketbot would apply it on its own (false: suggested or abstained)."""
        return {
            "id": self.id,
            "category": self.category,
            "urgency": self.urgency,
            "sentiment": self.sentiment,
            **({"subcategory": self.subcategory} if self.subcategory else {}),
            "engine": self.engine,
            "calibrated": self.calibrated,
            "confidence": self.confidence,
            "apply": {name: fate == "apply" for name, fate in self.decisions.items()},
            **({"reply_kind": self.reply_kind} if self.reply_kind else {}),
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
    reliability: dict[str, FieldReliability] = field(default_factory=dict)

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
                source=str(data.get("source") or data.get("language") or "unknown"),
                subject=str(data.get("subject") or ""),
                # A reply's row gives its ``text`` (quoted history and signature still in it).
                description=str(
                    data.get("description")
                    or next((data[k] for k in _REPLY_TEXT if data.get(k)), "")
                ),
                labels=_labels(labels),
            )
        )
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        raise ConfigError(f"{path}: no rows to evaluate")
    if not any(name in row.labels for row in rows for name in FIELDS):
        raise ConfigError(
            f"{path}: no row has labels to score against: give each line a 'labels' object, "
            'e.g. "labels": {"category": "billing", "urgency": "high", "sentiment": "negative"}'
        )
    return rows


# Where a reply's row may give its text, and the spellings a reply kind label may take.
_REPLY_TEXT = ("text", "body", "reply", "message")
_REPLY_KINDS = {
    "auto": "auto_reply",
    "autoreply": "auto_reply",
    "auto-reply": "auto_reply",
    "automatic": "auto_reply",
    "out_of_office": "auto_reply",
    "thank_you": "thanks",
    "thank-you": "thanks",
    "thankyou": "thanks",
    "resolved": "thanks",
}


def _labels(raw: dict[Any, Any]) -> dict[str, str]:
    """The labels as text; a subcategory as a taxonomy name (``Refund_not_showing_up`` and
    ``reverted_card_payment?`` in the source data are ``refund_not_showing_up`` and
    ``reverted_card_payment`` in a taxonomy)."""
    labels = {str(k): str(v) for k, v in raw.items() if v is not None}
    if "subcategory" in labels:
        labels["subcategory"] = sanitise_tag(labels["subcategory"]).strip("_-")
    if "reply_kind" in labels:
        kind = labels["reply_kind"].strip().lower().replace(" ", "_")
        labels["reply_kind"] = _REPLY_KINDS.get(kind, kind)
    return labels


def predict(
    rows: Sequence[LabelledTicket],
    chain: Sequence[TriageEngine],
    *,
    preferred: Engine,
    workers: int,
    max_input_tokens: int = 2000,
    on_progress: Callable[[], None] = lambda: None,
    confidence_threshold: float = 0.5,
    apply_at: Mapping[str, float] | None = None,
    suggest_at: Mapping[str, float] | None = None,
) -> list[Prediction]:
    """Every row through ``triage()`` on its prepared text — exactly what a run analyses —
    ``workers`` at a time; a row the first engine fails falls back down the chain."""

    # A reply's kind is judged locally whatever the engine: the rules, else the learned model.
    local: ReplyEngine = "rules" if preferred == "rules" else "learned"

    def one(row: LabelledTicket) -> Prediction:
        reply = "reply_kind" in row.labels
        text = strip_reply(row.description) if reply else row.description
        prepared = prepare_ticket(row.subject, text, max_tokens=max_input_tokens)
        result = triage(prepared, chain, preferred=preferred)
        analysis = result.analysis
        on_progress()
        confidence, decisions = _decided(result, confidence_threshold, apply_at, suggest_at)
        return Prediction(
            row.id,
            analysis.category,
            analysis.urgency.value,
            analysis.sentiment.value,
            result.engine,
            _reason_kind(result.fallback_reason) if result.fallback else None,
            analysis.subcategory,
            confidence,
            decisions,
            bool(result.field_confidence),
            classify_reply(row.description, engine=local).kind if reply else None,
        )

    if len(chain) == 1 or workers <= 1:
        return [one(row) for row in rows]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eval") as pool:
        return list(pool.map(one, rows))


def _decided(
    result: Triage,
    threshold: float,
    apply_at: Mapping[str, float] | None,
    suggest_at: Mapping[str, float] | None,
) -> tuple[dict[str, float], dict[str, str]]:
    """Per field, the confidence and the decision a run would make. An uncalibrated engine's
    fields all apply (as a run writes them), with its own confidence for each."""
    if result.field_confidence:
        decided = field_decisions(
            result.field_confidence, result.apply_at, apply_at=apply_at, suggest_at=suggest_at
        )
        return dict(result.field_confidence), dict(decided)
    own = result.analysis.confidence
    names = ("category", "urgency", "sentiment")
    return dict.fromkeys(names, own), dict.fromkeys(names, "apply")


def _reason_kind(reason: str | None) -> str:
    """``"llm: LLMConnectionError: refused"`` -> ``"LLMConnectionError"``."""
    parts = [part.strip() for part in (reason or "").split(":")]
    return parts[1] if len(parts) > 2 and parts[1] else (reason or "unknown")[:60]


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
    if engine == "learned":
        # Measuring the learned engine with no usable model would score the rules: an error.
        from ..learned import open_engine
        from ..triage.chain import LocalEngine
        from ..triage.rules import RulesEngine

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


def allowed_values(taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """The label values each field is scored on; anything else is out of taxonomy."""
    return {
        "category": taxonomy.names,
        "urgency": tuple(level.value for level in Urgency),
        "sentiment": tuple(value.value for value in Sentiment),
        "subcategory": taxonomy.subcategory_names,
        "reply_kind": KINDS,
    }


def run_eval(
    path: Path,
    taxonomy: Taxonomy,
    *,
    chain: ChainChoice,
    limit: int | None = None,
    workers: int = 8,
    max_input_tokens: int = 2000,
    on_progress: Callable[[], None] = lambda: None,
    clock: Callable[[], float] = time.perf_counter,
    confidence_threshold: float = 0.5,
    apply_at: Mapping[str, float] | None = None,
    suggest_at: Mapping[str, float] | None = None,
) -> EvalResult:
    """Load, predict (through ``chain``, on the prepared text) and score; the thresholds are
    the run's, so the share applied is what a run would apply."""
    rows = load_labelled(path, limit=limit)
    started = clock()
    predictions = predict(
        rows,
        chain.chain,
        preferred=chain.preferred,
        workers=workers,
        max_input_tokens=max_input_tokens,
        on_progress=on_progress,
        confidence_threshold=confidence_threshold,
        apply_at=apply_at,
        suggest_at=suggest_at,
    )
    seconds = clock() - started
    labelled: list[dict[str, Any]] = [{"source": row.source, "labels": row.labels} for row in rows]
    predicted = [
        {
            "category": p.category,
            "urgency": p.urgency,
            "sentiment": p.sentiment,
            "subcategory": p.subcategory or NO_SUBCATEGORY,
            "reply_kind": p.reply_kind or NO_SUBCATEGORY,
        }
        for p in predictions
    ]
    reasons = Counter(p.fallback_reason for p in predictions if p.fallback_reason)
    return EvalResult(
        file=str(path),
        engine=chain.preferred,
        rows=len(rows),
        seconds=seconds,
        predictions=predictions,
        fields=evaluate(labelled, predicted, allowed_values(taxonomy)),
        fallback_reasons=dict(reasons),
        reliability=field_reliability(
            [row.labels for row in rows],
            predicted,
            [p.confidence for p in predictions],
            [p.decisions for p in predictions],
            [p.calibrated for p in predictions],
            ("category", "urgency", "sentiment"),
        ),
    )


def write_predictions(path: Path, predictions: Sequence[Prediction]) -> None:
    """One JSON object a line: id, category, urgency, sentiment, engine."""
    try:
        with path.open("wb") as out:
            for prediction in predictions:
                out.write(orjson.dumps(prediction.as_line()) + b"\n")
    except OSError as exc:
        raise ConfigError(f"--predictions: cannot write {path}: {exc.strerror}") from None
