"""Scoring predictions against labels: accuracy, macro-F1, per-class figures, confusion matrix.

The one definition of the figures: training's cross-validation and the promotion gate score
with it here, and ``ticketbot eval`` (``evaluation/``) scores any engine with it, so the numbers
``learn`` prints and those ``eval`` prints are the same. Pure functions on plain data; reading
files, running an engine and printing live elsewhere (``labelled_file.py``,
``evaluation/labelled.py``, ``evaluation/display.py``). Definitions, so the figures can be
checked by hand:

- precision of class c = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); each is
  0 when its denominator is 0.
- macro-F1 is the unweighted mean of F1 over the classes that occur in the gold labels; a
  prediction of a class that never occurs in the gold labels still costs the recall of the true
  class, but that class gets no F1 of its own.
- urgency: we predict critical/high/medium/low. When a file's urgency labels stop at high (no
  row is labelled ``critical``, as in the dev set), a predicted ``critical`` is scored as
  ``high``; when any row is labelled ``critical``, it is a class of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# ``reply_kind``: a customer's reply judged actionable, thanks or auto_reply (reply files).
FIELDS = ("category", "urgency", "sentiment", "subcategory", "reply_kind")
# What a prediction of no subcategory is scored as (it is wrong wherever a label names one).
NO_SUBCATEGORY = "-"
URGENCY_SCORED_AS = {"critical": "high"}
POOLED = "pooled"


@dataclass(frozen=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class FieldScore:
    """The figures of one field on one set of rows."""

    rows: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScore]
    # confusion[gold][predicted] = count; classes in ``labels`` order.
    confusion: dict[str, dict[str, int]]
    labels: tuple[str, ...]


@dataclass
class LabelledPrediction:
    """One row's gold label and prediction for one field, with the row's source."""

    source: str
    gold: str
    predicted: str


@dataclass
class FieldReport:
    """A field's scores per source and pooled, plus labels outside the taxonomy (not scored)."""

    name: str
    scores: dict[str, FieldScore] = field(default_factory=dict)
    out_of_taxonomy: dict[str, int] = field(default_factory=dict)
    # value -> the value it was scored as (urgency's critical -> high when no label says critical)
    scored_as: dict[str, str] = field(default_factory=dict)


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def score_field(gold: Sequence[str], predicted: Sequence[str]) -> FieldScore:
    """Accuracy, macro-F1 (over gold classes), per-class P/R/F1 and the confusion matrix."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} labels but {len(predicted)} predictions")
    gold_classes = sorted(set(gold))
    labels = tuple(gold_classes + sorted(set(predicted) - set(gold)))
    pairs = Counter(zip(gold, predicted, strict=True))
    confusion = {g: {p: pairs.get((g, p), 0) for p in labels} for g in labels}
    per_class: dict[str, ClassScore] = {}
    for label in labels:
        true_positive = pairs.get((label, label), 0)
        predicted_as = sum(confusion[g][label] for g in labels)
        support = sum(confusion[label].values())
        precision = _ratio(true_positive, predicted_as)
        recall = _ratio(true_positive, support)
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
        per_class[label] = ClassScore(precision, recall, f1, support)
    correct = sum(pairs.get((label, label), 0) for label in labels)
    mean_f1 = (
        sum(per_class[label].f1 for label in gold_classes) / len(gold_classes)
        if gold_classes
        else 0.0
    )
    return FieldScore(
        rows=len(gold),
        accuracy=_ratio(correct, len(gold)),
        macro_f1=mean_f1,
        per_class=per_class,
        confusion=confusion,
        labels=labels,
    )


def folded_values(field_name: str, golds: Iterable[str]) -> dict[str, str]:
    """What is scored as what for this field on these labels: urgency's ``critical`` as
    ``high`` only when no label is ``critical`` (the labels stop at high)."""
    if field_name == "urgency" and "critical" not in set(golds):
        return dict(URGENCY_SCORED_AS)
    return {}


def report_field(
    name: str,
    rows: Iterable[tuple[str, str | None, str]],
    allowed: Iterable[str],
) -> FieldReport:
    """Score one field from ``(source, gold or None, predicted)`` rows, per source and pooled.

    Rows without a gold label are skipped (the field is not labelled there); rows whose gold
    label is not in ``allowed`` are counted in ``out_of_taxonomy`` and not scored.
    """
    rows = list(rows)
    folded = folded_values(name, (gold for _, gold, _ in rows if gold is not None))

    def scored_value(value: str) -> str:
        return folded.get(value, value)

    allowed_values = {scored_value(value) for value in allowed}
    report = FieldReport(name, scored_as=folded)
    by_source: dict[str, tuple[list[str], list[str]]] = {}
    pooled: tuple[list[str], list[str]] = ([], [])
    for source, gold, predicted in rows:
        if gold is None:
            continue
        gold_value = scored_value(gold)
        if gold_value not in allowed_values:
            report.out_of_taxonomy[gold] = report.out_of_taxonomy.get(gold, 0) + 1
            continue
        predicted_value = scored_value(predicted)
        golds, predictions = by_source.setdefault(source, ([], []))
        for target in ((golds, predictions), pooled):
            target[0].append(gold_value)
            target[1].append(predicted_value)
    for source in sorted(by_source):
        report.scores[source] = score_field(*by_source[source])
    if pooled[0]:
        report.scores[POOLED] = score_field(*pooled)
    return report


def evaluate(
    rows: Iterable[Mapping[str, object]],
    predictions: Sequence[Mapping[str, str]],
    allowed: Mapping[str, Iterable[str]],
) -> dict[str, FieldReport]:
    """Score every field: ``rows`` are the labelled tickets, ``predictions`` in the same order."""
    collected: dict[str, list[tuple[str, str | None, str]]] = {name: [] for name in FIELDS}
    for row, prediction in zip(rows, predictions, strict=True):
        labels = row.get("labels")
        labels = labels if isinstance(labels, Mapping) else {}
        source = str(row.get("source") or "unknown")
        for name in FIELDS:
            gold = labels.get(name)
            predicted = prediction.get(name) or NO_SUBCATEGORY  # none predicted: "-"
            collected[name].append((source, None if gold is None else str(gold), predicted))
    return {
        name: report_field(name, collected[name], allowed[name])
        for name in FIELDS
        if any(gold is not None for _, gold, _ in collected[name])
    }
