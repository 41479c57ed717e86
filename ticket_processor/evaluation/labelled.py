"""``ticketbot eval``: run an engine over a labelled JSON-lines file and score it.

Reads the file (``learned.labelled_file``: ``id``, ``source``, ``subject``, ``description``,
``labels``), prepares every row as a run does (trimmed, cut to the token budget, personal data
replaced) and predicts it with the run's own ``triage()`` over the engine chain ``--engine`` picks
(``run.engines.build_eval_chain`` builds it from the settings, as a run's is built). Rows go
concurrently, and a row the first engine fails falls back down the chain, exactly as in a run.
The predictions go to the pure metrics in ``learned.scoring`` (the ones training's
cross-validation scores with). Printing is ``display.py``'s job.
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
from ..learned.labelled_file import LabelledTicket, allowed_values, load_labelled
from ..learned.scoring import NO_SUBCATEGORY, FieldReport, evaluate
from ..models import Engine, Triage
from ..run.build import translator_of
from ..run.engines import ChainChoice
from ..triage.chain import TriageEngine, triage
from ..triage.confidence import field_decisions
from ..triage.prepare import prepare_ticket
from ..triage.reply_kind import ReplyEngine, classify_reply
from ..triage.reply_text import new_text
from ..triage.taxonomy import Taxonomy
from ..writeback.translation import NoteTranslations
from .note_language import NoteLanguageJudge, note_language_share
from .reliability import FieldReliability, field_reliability


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
    # The language the row's note reads as (``note_language``); None: not measured.
    note_language: str | None = None

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


@dataclass(frozen=True)
class OutOfScope:
    """How the fallback category fares when the labelled file has rows labelled with it (the
    tickets that fit none of the team's categories): of those rows, the share the engine put in
    the fallback (recall); of the rows it put there, the share labelled so (precision)."""

    fallback: str
    rows: int  # labelled with the fallback
    predicted: int  # put in the fallback
    both: int

    @property
    def recall(self) -> float:
        return self.both / self.rows if self.rows else 0.0

    @property
    def precision(self) -> float | None:
        return self.both / self.predicted if self.predicted else None

    def as_json(self) -> dict[str, object]:
        return {
            "fallback": self.fallback,
            "rows": self.rows,
            "predicted": self.predicted,
            "recall": round(self.recall, 4),
            "precision": None if self.precision is None else round(self.precision, 4),
        }


def out_of_scope(
    truth: Sequence[str | None], predicted: Sequence[str], fallback: str
) -> OutOfScope | None:
    """The fallback's figures, or None when no row is labelled with it."""
    rows = sum(t == fallback for t in truth)
    if not rows:
        return None
    return OutOfScope(
        fallback,
        rows,
        sum(p == fallback for p in predicted),
        sum(t == p == fallback for t, p in zip(truth, predicted, strict=True)),
    )


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
    # The agent's language (TICKETBOT_AGENT_LANGUAGE) and the share of notes that read as it.
    note_language: str = "en"
    note_language_share: float | None = None
    # The fallback category's recall and precision, when rows are labelled with it.
    out_of_scope: OutOfScope | None = None

    @property
    def fallbacks(self) -> int:
        return sum(self.fallback_reasons.values())


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
    notes: NoteLanguageJudge | None = None,
) -> list[Prediction]:
    """Every row through ``triage()`` on its prepared text — exactly what a run analyses —
    ``workers`` at a time; a row the first engine fails falls back down the chain. ``notes``:
    what language each row's note reads as."""

    # A reply's kind is judged locally whatever the engine: the rules, else the learned model.
    local: ReplyEngine = "rules" if preferred == "rules" else "learned"

    def one(item: tuple[int, LabelledTicket]) -> Prediction:
        position, row = item
        reply = "reply_kind" in row.labels
        text = (
            new_text([row.description], max_tokens=max_input_tokens) if reply else row.description
        )
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
            classify_reply(text, engine=local).kind if reply else None,
            notes.judge(position, result, prepared) if notes is not None else None,
        )

    if len(chain) == 1 or workers <= 1:
        return [one(item) for item in enumerate(rows)]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="eval") as pool:
        return list(pool.map(one, enumerate(rows)))


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
    agent_language: str = "en",
) -> EvalResult:
    """Load, predict (through ``chain``, on the prepared text) and score; the thresholds are
    the run's, so the share applied is what a run would apply. ``agent_language``: the notes'
    (``note_language``: the share that reads as it; with an LLM, translated as a run does)."""
    rows = load_labelled(path, limit=limit)
    translator = translator_of(chain.chain) if chain.preferred == "llm" else None
    judge = NoteLanguageJudge(
        agent_language, NoteTranslations(translator, default_language=agent_language)
    )
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
        notes=judge,
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
        note_language=agent_language,
        note_language_share=note_language_share(
            [p.note_language for p in predictions], agent_language
        ),
        out_of_scope=out_of_scope(
            [row.labels.get("category") for row in rows],
            [p.category for p in predictions],
            taxonomy.fallback_category,
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
