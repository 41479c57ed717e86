"""``taxonomy check``: what in a taxonomy's examples will make the examples engine guess.

Three findings, each about the file, so the team fixes the taxonomy rather than guesses:
categories (and subcategories) with too few examples; examples that sit nearer another
category's examples than their own (the mean of the others' vectors, the example itself left
out: no threshold to tune); and the pairs the engine confuses when each example is predicted by
a model fitted without it (the cross-validation that calibrates it), most confused first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ...triage.taxonomy import Taxonomy
from ..embed import Encoder
from ..labelled_file import LabelledTicket
from ..scoring import POOLED
from .fit import drop_marks, example_rows, fit_examples

# Fewer examples than this (the description aside) and a category's cross-validation rests on
# too few rows to say much; five per category reached the figures in
# docs/explanation/measurements/triage.md.
MIN_EXAMPLES = 3


@dataclass(frozen=True)
class Stray:
    """An example nearer another class's examples than its own."""

    label: str
    text: str
    nearer: str


@dataclass
class CheckReport:
    name: str  # the field: "category" or "subcategory"
    counts: dict[str, int]
    few: list[str] = field(default_factory=list)
    strays: list[Stray] = field(default_factory=list)
    # (label, predicted as, how many of the label's examples)
    confused: list[tuple[str, str, int]] = field(default_factory=list)
    cv_macro_f1: float | None = None

    @property
    def clean(self) -> bool:
        return not (self.few or self.strays or self.confused)


def check_taxonomy(taxonomy: Taxonomy, *, encoder: Encoder | None = None) -> list[CheckReport]:
    """One report per field the examples teach (category; subcategory where there are any)."""
    encoder = encoder or Encoder()
    rows = example_rows(taxonomy)
    result = fit_examples(taxonomy, encoder=encoder)
    fields = ("category", "subcategory") if taxonomy.has_subcategories else ("category",)
    reports = []
    for name in fields:
        labelled = [r for r in rows if name in r.labels]
        # The description is one row per class; the examples are the others.
        counts = {label: -1 for label in (r.labels[name] for r in labelled)}
        for row in labelled:
            counts[row.labels[name]] += 1
        report = CheckReport(name, counts)
        report.few = sorted(label for label, count in counts.items() if count < MIN_EXAMPLES)
        vectors = encoder.encode([drop_marks(f"{r.subject}\n{r.description}") for r in labelled])
        report.strays = _strays([r.labels[name] for r in labelled], labelled, vectors)
        training = result.fields.get(name)
        if training is not None and training.report is not None:
            score = training.report.scores.get(POOLED) or next(
                iter(training.report.scores.values()), None
            )
            if score is not None:
                report.cv_macro_f1 = round(score.macro_f1, 4)
                report.confused = sorted(
                    (
                        (gold, predicted, count)
                        for gold, row in score.confusion.items()
                        for predicted, count in row.items()
                        if predicted != gold and count
                    ),
                    key=lambda item: (-item[2], item[0], item[1]),
                )
        reports.append(report)
    return reports


def _strays(
    labels: list[str], rows: list[LabelledTicket], vectors: npt.NDArray[np.float32]
) -> list[Stray]:
    """Each row whose vector is nearer another class's mean than its own class's mean without
    it (cosine); a class of one row has no mean without it and is left out."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    members: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[label].append(index)
    sums = {label: unit[idx].sum(axis=0) for label, idx in members.items()}
    strays = []
    for index, label in enumerate(labels):
        if len(members[label]) < 2:
            continue
        best, nearest = -2.0, label
        for other, total in sums.items():
            if other == label:
                mean = (total - unit[index]) / (len(members[label]) - 1)
            else:
                mean = total / len(members[other])
            cosine = float(mean @ unit[index]) / max(float(np.linalg.norm(mean)), 1e-9)
            if cosine > best:
                best, nearest = cosine, other
        if nearest != label:
            strays.append(Stray(label, rows[index].description, nearest))
    return strays
