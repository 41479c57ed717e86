"""Whether the taxonomy already covers a topic: what the triage engine made of its tickets.

A topic is covered when most of its tickets (``COVERED_SHARE``) were given a category other than
the fallback ("other") and that category was applied with calibrated confidence (not merely
suggested, not abstained). A topic mostly in "other", suggested or abstained is where the
taxonomy fits badly: ``--focus uncovered`` clusters only such tickets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

COVERED_SHARE = 0.6


@dataclass(frozen=True)
class Judged:
    """One ticket as the triage engine saw it."""

    category: str
    subcategory: str | None
    applied: bool  # the category was applied (not suggested, not abstained)


def fits(judged: Judged, fallback: str) -> bool:
    """The taxonomy fits this ticket: a real category, applied."""
    return judged.applied and judged.category != fallback


@dataclass(frozen=True)
class Coverage:
    category: str  # the existing category most of the topic falls under
    category_share: float
    subcategory: str | None
    covered: bool
    fitted_share: float  # tickets the taxonomy fits (applied, not the fallback)


def topic_coverage(members: Sequence[Judged], fallback: str) -> Coverage:
    if not members:
        return Coverage(fallback, 0.0, None, False, 0.0)
    categories = Counter(j.category for j in members)
    category, count = categories.most_common(1)[0]
    subs = Counter(j.subcategory for j in members if j.category == category and j.subcategory)
    subcategory = subs.most_common(1)[0][0] if subs else None
    fitted = sum(fits(j, fallback) for j in members) / len(members)
    return Coverage(
        category=category,
        category_share=count / len(members),
        subcategory=subcategory,
        covered=fitted >= COVERED_SHARE,
        fitted_share=fitted,
    )
