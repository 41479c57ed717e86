"""Training rows from a taxonomy's descriptions and examples, and the model fitted on them.

Every example is one row labelled with its category (and subcategory, for a subcategory's
example); every description is one row more, so a category whose examples are few still has
its own words. The model is the learned engine's (``LearnedModel``: a logistic regression per
field), over the sentence vectors alone: n-grams of a handful of English examples would pull a
German ticket toward whichever category shares its spelling. Logistic regression was chosen
over the nearest centroid on the Bitext rows, and BANKING77 was then measured as held out
(``python -m scripts.figures examples_figures``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ...triage.taxonomy import Taxonomy
from ..embed import Encoder
from ..labelled_file import LabelledTicket
from ..train import TrainingResult, TrainOptions, train
from .key import RECIPE, taxonomy_key

__all__ = ["RECIPE", "drop_marks", "example_rows", "fit_examples", "taxonomy_key"]

# The source every example row carries (cross-validation's figures name it).
EXAMPLE_SOURCE = "taxonomy"
# Chosen on the Bitext rows (C 1, 10, 100 and the nearest centroid compared there): C=10 with
# the description as one more example; the figures are in docs/explanation/measurements/triage.md.
# Changing them (or the rows) means bumping ``key.RECIPE``.
OPTIONS = TrainOptions(folds=5, c=10.0, embedding_weight=1.0, max_words=0, max_chars=0)
# Question and exclamation marks, which languages spell apart (Spanish opens a question with
# "¿" and closes it with "?", English only closes it): the encoder reads each mark as a token,
# and English examples drew Spanish questions toward whichever categories' examples were
# questions too. Dropped from the examples and from the tickets the engine reads: chosen on half
# of the translated BANKING77 rows, it raised every language's macro-F1 on the held-out half
# (English 0.676 to 0.701, German 0.518 to 0.531, Spanish 0.492 to 0.531) and left BANKING77's
# English test split and Bitext as they were (``python -m scripts.figures examples_figures
# --compare``). The incident grouping, which reads a ticket as written, encodes it once more
# (milliseconds).
MARKS = re.compile(r"[¿¡?!]+")


def drop_marks(text: str) -> str:
    """The text without question and exclamation marks, each line's words one space apart."""
    return "\n".join(" ".join(MARKS.sub(" ", line).split()) for line in text.split("\n"))


def example_rows(taxonomy: Taxonomy) -> list[LabelledTicket]:
    """One row per example and per description of every category and subcategory."""
    rows: list[LabelledTicket] = []

    def add(text: str, labels: dict[str, str]) -> None:
        key = "/".join(labels.values())
        rows.append(LabelledTicket(f"{key}#{len(rows)}", EXAMPLE_SOURCE, "", text, labels))

    for category in taxonomy.categories:
        own = {"category": category.name}
        add(category.description, own)
        for text in category.examples:
            add(text, own)
        for sub in category.subcategories:
            labels = {**own, "subcategory": sub.name}
            add(sub.description, labels)
            for text in sub.examples:
                add(text, labels)
    return rows


def fit_examples(
    taxonomy: Taxonomy,
    *,
    encoder: Encoder | None = None,
    on_step: Callable[[str], None] = lambda _: None,
) -> TrainingResult:
    """The category (and subcategory) model of the taxonomy's descriptions and examples,
    cross-validated and calibrated on them (``learn`` adds labelled tickets to these rows)."""
    if not taxonomy.has_examples:
        raise ValueError("the taxonomy lists no examples")
    fields = ("category", "subcategory") if taxonomy.has_subcategories else ("category",)
    rows = [
        replace(r, subject=drop_marks(r.subject), description=drop_marks(r.description))
        for r in example_rows(taxonomy)
    ]
    return train(rows, taxonomy, options=OPTIONS, encoder=encoder, fields=fields, on_step=on_step)
