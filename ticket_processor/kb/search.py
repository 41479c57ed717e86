"""``lookup``: the help-centre articles that answer a ticket, or none.

BM25 scores are unbounded and grow with the length of the query, so a fixed cut on them would
suggest something for every long ticket. Each hit is scored instead as a share of the query's
own weight: BM25 of the hit over the sum of the query terms' IDF (times the column weights,
what an article holding every term once would score). Terms the help centre lacks count at the
weight of the rarest term, so a ticket mostly about something no article mentions scores low
even when a few of its words match. ``DEFAULT_THRESHOLD`` was set on ``tests/data/kb_*``
(``python -m scripts.figures kb_bench --calibrate`` prints the figures).

A suggestion must also share at least ``MIN_SHARED_TERMS`` words with the ticket: a two-word
ticket ("call me back") whose one content word happens to be in an article is not answered by
it, however large that word's share of so short a query.

The ticket's language is preferred: articles in it come first when the help centre has any
that pass the threshold, then the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import IndexUnavailable
from ..models import Suggestion
from .index import BODY_WEIGHT, TITLE_WEIGHT, ArticleIndex, Hit, bm25_idf
from .text import query_terms

DEFAULT_THRESHOLD = 0.035
MIN_SHARED_TERMS = 2
CANDIDATES = 20
# Terms held by more than this share of a large help centre are left out of the search (and of
# the query's own score): they weigh little and make FTS5 rank most of the index.
MAX_DF_SHARE = 0.1
MIN_DF_CUT = 50
# The most telling terms searched for; the rest still count in the query's own score.
SEARCH_TERMS = 24


@dataclass(frozen=True)
class Scored:
    hit: Hit
    share: float


def rank(
    index: ArticleIndex, text: str, *, limit: int = CANDIDATES, terms: list[str] | None = None
) -> list[Scored]:
    """Candidates for ``text`` with their share of the query's own score, best first
    (``terms``: its ``query_terms`` when the caller has them already)."""
    if terms is None:
        terms = query_terms(text)
    if not terms:
        return []
    try:
        total, freqs = index.doc_freqs()
        cut = max(total * MAX_DF_SHARE, MIN_DF_CUT)
        kept = {t: bm25_idf(total, freqs.get(t, 0)) for t in terms if freqs.get(t, 0) <= cut}
        present = sorted((t for t in kept if freqs.get(t, 0)), key=lambda t: -kept[t])
        hits = index.search(present[:SEARCH_TERMS], limit)
    except IndexUnavailable:
        return []
    own = sum(kept.values()) * (TITLE_WEIGHT + BODY_WEIGHT)
    return [Scored(hit, min(hit.score / own, 1.0)) for hit in hits]


def _language_of(locale: str) -> str:
    return locale.split("-")[0].lower()


def lookup(
    index: ArticleIndex,
    text: str,
    language: str | None,
    k: int,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    terms: list[str] | None = None,
) -> list[Suggestion]:
    """The best ``k`` articles above ``threshold`` for ``text`` (prepared ticket text;
    ``terms``: its ``query_terms`` when the caller has them already)."""
    if k <= 0:
        return []
    ordered = query_terms(text) if terms is None else terms
    passing = [s for s in rank(index, text, terms=ordered) if s.share >= threshold]
    if language:
        mine = [s for s in passing if _language_of(s.hit.locale) == language]
        passing = mine + [s for s in passing if _language_of(s.hit.locale) != language]
    shared = set(ordered)
    chosen: list[Scored] = []
    for candidate in passing:
        if len(chosen) == k:
            break
        if len(shared & index.words(candidate.hit.rowid)) >= MIN_SHARED_TERMS:
            chosen.append(candidate)
    return [
        Suggestion(
            article_id=s.hit.article_id,
            title=s.hit.title,
            url=s.hit.url,
            locale=s.hit.locale,
            visibility=s.hit.visibility,
            score=round(s.share, 4),
        )
        for s in chosen
    ]
