"""Retrieval by meaning beside the keywords: passage vectors, and the two rankings fused.

Keyword ranking (``kb.search``) misses a ticket that says the same thing in other words or in
another language. Each article is cut into passages (its title, then its text a few sentences at
a time); the sync stores a vector of each (``encode_missing``: only articles without one, so a
sync stays incremental) with the encoder it is handed. kb and learned are siblings that may not
import each other, so the encoder comes in as a plain callable (``Embed``), built by run/ or the
commands from ``learned.embed``: kb stays usable (keywords alone) where no encoder is installed.

``retrieve`` ranks the articles both ways — BM25 share of the query's weight, and the best
cosine between the ticket's vector and any of an article's passages — and fuses them into one
score (``blend``): the cosine, plus ``SHARE_WEIGHT`` times the keyword share and ``HELD_WEIGHT``
times the share of the ticket's content words the article holds. Reciprocal rank fusion (each
ranking giving 1 / (60 + rank)) was used before: it weighs the keyword ranking as much as the
vectors', and on the public help centres the keyword ranking's first article is right less
often than the vectors' (0.55 to 0.80 of the answerable tickets against 0.67 to 0.92,
``python -m scripts.figures kb_fusion_figures``), so the fusion put the right article first less
often than the vectors alone (0.62 to 0.84); the blend, 0.71 to 0.92 with its weights picked on the
other help centres. Each candidate keeps its place and score in both
rankings: what the answers' gate reads.

A cosine means something else in every help centre (an index of look-alike intents scores
every ticket high; one of distinct topics, low). ``passage_stats`` reads the index's own scale
from its vectors, no label needed: how close each passage comes to another article's passages
(mean and spread), and the spread of all such cosines. The sync stores it beside the vectors;
``retrieve`` hands it on, so the gate reads a ticket's cosine against its own help centre's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import IndexUnavailable
from .index import ArticleIndex, Hit
from .search import CANDIDATES, rank
from .text import query_terms

# Texts to vectors (one row per text); ``learned.embed.Encoder.encode`` in a run.
Embed = Callable[[list[str]], npt.NDArray[np.float32]]
# The fused score: cosine + SHARE_WEIGHT * keyword share + HELD_WEIGHT * words held. Picked on
# six labelled help centres (``python -m scripts.figures kb_fusion_figures``): the pair with the
# best mean first-article rate, and the pair picked on five of them for each one left out was this
# one on five of the six. The keyword share adds nothing once the words held count (its weight 0): a
# BM25 share grows with a word's rarity, and a rare word the ticket shares with a neighbour
# outweighed the meaning; the keyword ranking still brings its candidates.
SHARE_WEIGHT = 0.0
HELD_WEIGHT = 0.2
# A passage is about this many characters of whole sentences.
PASSAGE_CHARS = 400
MAX_PASSAGES = 12
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
STATS_KEY = "passage_stats"
# Passages sampled (evenly, so the same index gives the same figures) to read the index's scale.
STATS_SAMPLE = 1000


@dataclass(frozen=True)
class PassageStats:
    """An index's own cosine scale, from its passages alone."""

    nearest_mean: float  # mean of each passage's best cosine to another article's passage
    nearest_sd: float  # and its standard deviation
    spread: float  # standard deviation of the cosines between passages of different articles

    def as_json(self) -> str:
        return json.dumps([self.nearest_mean, self.nearest_sd, self.spread])

    @classmethod
    def from_json(cls, text: str | None) -> PassageStats:
        try:
            mean, sd, spread = (float(x) for x in json.loads(text or ""))
        except (TypeError, ValueError):
            return DEFAULT_STATS
        if sd <= 0 or spread <= 0:
            return DEFAULT_STATS
        return cls(mean, sd, spread)


# An index with fewer than two articles' vectors (or an older one): the six labelled help
# centres' figures, rounded (their nearest_mean 0.47-0.64, nearest_sd 0.08-0.26, spread
# 0.13-0.17).
DEFAULT_STATS = PassageStats(0.55, 0.15, 0.15)


def passage_stats(owners: npt.NDArray[np.int64], matrix: npt.NDArray[np.float32]) -> PassageStats:
    """The scale of an index's passage cosines (unit vectors in ``matrix``, one row each)."""
    if len(set(owners.tolist())) < 2:
        return DEFAULT_STATS
    step = max(1, len(owners) // STATS_SAMPLE)
    picked = np.arange(0, len(owners), step)[:STATS_SAMPLE]
    sims = matrix[picked] @ matrix.T
    other = owners[picked][:, None] != owners[None, :]
    nearest = np.where(other, sims, -2.0).max(axis=1)
    nearest = nearest[nearest > -2.0]
    cross = sims[other]
    found = PassageStats(float(nearest.mean()), float(nearest.std()), float(cross.std()))
    return found if found.nearest_sd > 0 and found.spread > 0 else DEFAULT_STATS


def passages(title: str, body: str) -> list[str]:
    """The title, then the body in runs of whole sentences of about ``PASSAGE_CHARS``."""
    out = [title] if title else []
    current = ""
    for sentence in _SENTENCE.split(body):
        if current and len(current) + len(sentence) > PASSAGE_CHARS:
            out.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out[:MAX_PASSAGES]


def encode_missing(index: ArticleIndex, embed: Embed) -> int:
    """Store passage vectors for every article that has none, and the index's cosine scale
    (``passage_stats``: read again at every sync, as articles come and go); how many articles
    got vectors."""
    rows = index.rows_without_vectors()
    for row in rows:
        title, body = index.title_and_body(row)
        texts = passages(title, body) or [" "]
        index.set_vectors(row, embed(texts))
    owners, matrix = index.vectors()
    if len(owners):
        stats = passage_stats(owners, matrix).as_json()
        if index.meta(STATS_KEY) != stats:
            index.set_meta(STATS_KEY, stats)
    return len(rows)


def cosines(index: ArticleIndex, vector: npt.NDArray[np.float32]) -> dict[int, float]:
    """Every article row with vectors: the best cosine of any of its passages to ``vector``."""
    owners, matrix = index.vectors()
    if not len(owners) or matrix.shape[1] != vector.shape[0]:
        return {}
    norm = float(np.linalg.norm(vector))
    sims = matrix @ (vector / norm if norm > 0 else vector)
    best: dict[int, float] = {}
    for owner, sim in zip(owners.tolist(), sims.tolist(), strict=True):
        if sim > best.get(owner, -2.0):
            best[owner] = sim
    return best


def dense_rank(
    index: ArticleIndex, vector: npt.NDArray[np.float32], limit: int = CANDIDATES
) -> list[tuple[int, float]]:
    """Article rows by the best cosine of any of their passages to ``vector``, best first."""
    return sorted(cosines(index, vector).items(), key=lambda item: -item[1])[:limit]


@dataclass(frozen=True)
class Candidate:
    """One article as both rankings saw it (rank 0: that ranking did not find it)."""

    hit: Hit
    share: float  # BM25 share of the query's weight (0: not found by keywords)
    keyword_rank: int
    cosine: float  # best passage cosine (0: no vectors)
    dense_rank: int
    fused: float  # ``blend``'s score (the keyword share alone when the index has no vectors)
    # Cosine of this article's mean passage vector with the fused first one's (0: no vectors):
    # a translation of that article comes close to 1 whatever locale it is labelled with.
    likeness: float = 0.0
    # The share of the ticket's content words (``query_terms``) the article's text holds: an
    # article that leaves out the ticket's key words is seldom the one that answers it.
    held: float = 0.0


@dataclass(frozen=True)
class Retrieved:
    """The candidates in fused order; ``dense``: the vectors took part; ``stats``: the
    index's cosine scale."""

    candidates: tuple[Candidate, ...]
    dense: bool
    stats: PassageStats = DEFAULT_STATS

    def top(self, by: str) -> Candidate | None:
        """The first candidate of one ranking ("keyword", "dense") or of the fusion."""
        if by == "fused":
            return self.candidates[0] if self.candidates else None
        key = "keyword_rank" if by == "keyword" else "dense_rank"
        ranked = [c for c in self.candidates if getattr(c, key)]
        return min(ranked, key=lambda c: getattr(c, key), default=None)

    def order(self, by: str) -> list[Candidate]:
        if by == "fused":
            return list(self.candidates)
        key = "keyword_rank" if by == "keyword" else "dense_rank"
        return sorted(
            (c for c in self.candidates if getattr(c, key)), key=lambda c: getattr(c, key)
        )


def blend(
    cosine: float,
    share: float,
    held: float,
    weights: tuple[float, float] = (SHARE_WEIGHT, HELD_WEIGHT),
) -> float:
    """The fused score of an article: its best passage cosine, plus its keyword share and the
    share of the ticket's words it holds, weighted. A cosine is on the same scale for every
    article of a help centre, so the sum orders them; it is not read across help centres."""
    return cosine + weights[0] * share + weights[1] * held


def retrieve(
    index: ArticleIndex,
    text: str,
    embed: Embed | None,
    *,
    limit: int = CANDIDATES,
    weights: tuple[float, float] = (SHARE_WEIGHT, HELD_WEIGHT),
) -> Retrieved:
    """Both rankings of the index's articles for ``text`` (prepared ticket text), fused
    (``blend``, at ``weights``: what ``python -m scripts.figures kb_fusion_figures`` varies)."""
    keyword = rank(index, text, limit=limit)
    every: dict[int, float] = {}
    if embed is not None:
        try:
            every = cosines(index, embed([text])[0])
        except IndexUnavailable:
            every = {}
    dense = sorted(every.items(), key=lambda item: -item[1])[:limit]
    hits = {s.hit.rowid: s.hit for s in keyword}
    missing = [row for row, _ in dense if row not in hits]
    try:
        hits.update(index.hits(missing))
    except IndexUnavailable:
        return Retrieved((), False)
    shares = {s.hit.rowid: s.share for s in keyword}
    keyword_places = {s.hit.rowid: n for n, s in enumerate(keyword, start=1)}
    dense_places = {row: n for n, (row, _) in enumerate(dense, start=1)}
    held = _held(index, text, list(hits))
    # A keyword candidate the vectors ranked below ``limit`` still has its cosine: every
    # article with vectors is scored on the same scale.
    fused = {
        row: blend(every.get(row, 0.0), shares.get(row, 0.0), held.get(row, 0.0), weights)
        if dense
        else shares.get(row, 0.0)
        for row in hits
    }
    order = sorted(hits, key=lambda row: (-fused[row], -shares.get(row, 0)))
    likeness = _likeness(index, order) if dense else {}
    try:
        stats = PassageStats.from_json(index.meta(STATS_KEY)) if dense else DEFAULT_STATS
    except IndexUnavailable:
        stats = DEFAULT_STATS
    return Retrieved(
        tuple(
            Candidate(
                hit=hits[row],
                share=shares.get(row, 0.0),
                keyword_rank=keyword_places.get(row, 0),
                cosine=every.get(row, 0.0),
                dense_rank=dense_places.get(row, 0),
                fused=fused[row],
                likeness=likeness.get(row, 0.0),
                held=held.get(row, 0.0),
            )
            for row in order
        ),
        bool(dense),
        stats,
    )


def _held(index: ArticleIndex, text: str, rows: Sequence[int]) -> dict[int, float]:
    """The share of ``text``'s content words each row's article holds (as the index folds it)."""
    terms = set(query_terms(text))
    if not terms:
        return {}
    try:
        return {row: len(terms & index.words(row)) / len(terms) for row in rows}
    except IndexUnavailable:
        return {}


def _likeness(index: ArticleIndex, rows: Sequence[int]) -> dict[int, float]:
    """Cosine of each row's mean passage vector with the first row's."""
    owners, matrix = index.vectors()
    means: dict[int, npt.NDArray[np.float32]] = {}
    for row in rows:
        mine = matrix[owners == row]
        if len(mine):
            mean = mine.mean(axis=0)
            norm = float(np.linalg.norm(mean))
            means[row] = mean / norm if norm > 0 else mean
    if not rows or rows[0] not in means:
        return {}
    first = means[rows[0]]
    return {row: float(vector @ first) for row, vector in means.items()}
