"""How near a ticket stands to the team's own categories: a ticket far from every one of them
belongs in the fallback category, whatever the model's most probable class.

A classifier over the team's categories always names one of them: a softmax has no "none of
these". Before this check, 0 of 300 out-of-scope texts reached the fallback under a 30-intent
taxonomy of five examples each; 291 were suggested as one of the 30. The check reads the
ticket's sentence vector against the vectors of every example and description of the
taxonomy's categories (the fallback's own aside): when the nearest is further than the
taxonomy's own texts mostly stand from each other (``FAR_QUANTILE``), no category of the
team's is near. Only taxonomies that list examples have it (without
examples there is nothing of the team's own to be near).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..triage.taxonomy import Taxonomy
from .embed import Encoder

# A ticket is far when its nearest cosine is under this quantile of the taxonomy's own: each
# example's and description's nearest cosine to the others (left out in turn). A fixed cosine
# does not carry from one taxonomy to the next: the examples of a bicycle shop's five broad
# categories stand 0.46 from their nearest neighbour at the median, a help bot's narrow intents
# 0.65 to 0.76, and a fixed 0.45 sent a third of the shop's "returns" tickets to the fallback.
# Chosen on HINT3's three help bots (a mattress shop, a pharmacy, a fantasy-sports app: each
# intent a category of five examples, the test split's out-of-scope rows against its in-scope
# ones) one domain left out: the quantile that sends the most out-of-scope texts of the two
# others to the fallback while neither's in-scope macro-F1 falls by more than 0.02: 0.04, 0.04
# and 0.09; 0.04 on all three (``python -m scripts.figures examples_out_of_scope``).
FAR_QUANTILE = 0.04
# How sure a ticket put in the fallback by the check is: the share of such tickets that were out
# of scope on the domain left out, the lowest of the three (the mattress shop's).
FAR_CONFIDENCE = 0.73


@dataclass(frozen=True)
class Nearest:
    """Unit vectors of the taxonomy's examples and descriptions (the fallback's aside)."""

    vectors: npt.NDArray[np.float32]
    far_below: float

    def closeness(self, embedding: npt.NDArray[np.floating]) -> float:
        """The cosine of the ticket's vector with the nearest example or description."""
        if not len(self.vectors):
            return 1.0
        norm = float(np.linalg.norm(embedding)) or 1.0
        return float((self.vectors @ (embedding / norm)).max())

    def far(self, embedding: npt.NDArray[np.floating]) -> bool:
        return self.closeness(embedding) < self.far_below


def category_texts(taxonomy: Taxonomy) -> list[str]:
    """Every example and description of the taxonomy's categories and subcategories but the
    fallback category's."""
    texts: list[str] = []
    for category in taxonomy.categories:
        if category.name == taxonomy.fallback_category:
            continue
        texts += [category.description, *category.examples]
        for sub in category.subcategories:
            texts += [sub.description, *sub.examples]
    return [t for t in texts if t.strip()]


def nearest_of(
    taxonomy: Taxonomy,
    encoder: Encoder,
    form: Callable[[str], str] = lambda text: text,
) -> Nearest | None:
    """The taxonomy's ``Nearest`` (its texts in the form the engine encodes tickets in), or
    None when it lists no examples."""
    if not taxonomy.has_examples:
        return None
    texts = [form(t) for t in category_texts(taxonomy)]
    vectors = np.asarray(encoder.encode(texts), np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit = (vectors / norms).astype(np.float32)
    return Nearest(unit, float(np.quantile(own_closeness(unit), FAR_QUANTILE)))


def own_closeness(unit: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Each row's nearest cosine to the other rows (1.0 for a taxonomy of one text)."""
    if len(unit) < 2:
        return np.ones(len(unit))
    sims = (unit @ unit.T).astype(np.float64)
    np.fill_diagonal(sims, -1.0)
    found: npt.NDArray[np.float64] = sims.max(axis=1)
    return found
