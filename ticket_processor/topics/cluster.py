"""Group tickets' sentence vectors into topics, choosing how many.

Average-linkage agglomerative clustering on unit vectors, cut where the mean distance between
two groups passes ``MERGE_DISTANCE``: a fixed cut in the encoder's space, not a number of
topics, so a file with 27 intents and one with 73 each get about as many topics as they hold
(``python -m scripts.figures discover_figures`` measures it against k-means told the true number). A
group of fewer than ``MIN_TOPIC_SIZE`` tickets is no topic: its tickets get none.

Average linkage needs the pairwise distances (n² / 2 of them), so a large input is clustered on
a deterministic sample of ``SAMPLE`` tickets and every other ticket joins the topic whose members
it is closest to on average, when that is within the same cut (else it gets none). Memory is
then bounded by the sample (about 40 MB at 3,000) and by the vectors themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Mean Euclidean distance between unit vectors at which two groups stop merging (a mean cosine
# similarity near 0.4). Chosen on the bitext and banking77 rows: 1.0 splits intents, 1.2 joins them.
MERGE_DISTANCE = 1.1
MIN_TOPIC_SIZE = 2
# Tickets clustered directly; the rest are assigned to the topics found.
SAMPLE = 3000
# Rows scored against the topics at a time when assigning (bounds the temporary matrix).
_CHUNK = 4096

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Clustering:
    """Each ticket's topic (-1: none), topics numbered from 0 by size, largest first."""

    labels: npt.NDArray[np.int64]
    topics: int

    def members(self, topic: int) -> npt.NDArray[np.int64]:
        return np.flatnonzero(self.labels == topic)


def unit_rows(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    units: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return units


def cluster(vectors: Vectors, *, seed: int = 0, sample: int = SAMPLE) -> Clustering:
    """The topics of ``vectors`` (one row per ticket); deterministic for a given seed."""
    n = len(vectors)
    if n == 0:
        return Clustering(np.zeros(0, np.int64), 0)
    units = unit_rows(vectors)
    if n == 1:
        return Clustering(np.full(1, -1, np.int64), 0)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)
    groups = _average_linkage(units[chosen])
    labels = np.full(n, -1, np.int64)
    labels[chosen] = groups
    if n > len(chosen):
        rest = np.setdiff1d(np.arange(n), chosen, assume_unique=True)
        labels[rest] = _assign(units[rest], units[chosen], groups)
    return _renumbered(labels)


def _average_linkage(units: Vectors) -> npt.NDArray[np.int64]:
    from sklearn.cluster import AgglomerativeClustering

    found = AgglomerativeClustering(
        n_clusters=None, distance_threshold=MERGE_DISTANCE, linkage="average"
    ).fit_predict(units)
    return np.asarray(found, np.int64)


def _assign(
    rows: Vectors, members: Vectors, groups: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Each row's group: the one whose members are nearest on average, if within the cut.

    The mean Euclidean distance is estimated from the mean cosine (``x · mean(m)``): between
    unit vectors ‖x − m‖² = 2 − 2·cos, so a mean cosine of ``1 − d²/2`` is the cut."""
    sizes = np.bincount(groups)
    kept = np.flatnonzero(sizes >= MIN_TOPIC_SIZE)
    if len(kept) == 0:
        return np.full(len(rows), -1, np.int64)
    means = np.stack([members[groups == g].mean(axis=0) for g in kept]).astype(np.float32)
    floor = 1.0 - MERGE_DISTANCE**2 / 2.0
    out = np.full(len(rows), -1, np.int64)
    for start in range(0, len(rows), _CHUNK):
        scores = rows[start : start + _CHUNK] @ means.T
        best = scores.argmax(axis=1)
        ok = scores[np.arange(len(best)), best] >= floor
        out[start : start + _CHUNK] = np.where(ok, kept[best], -1)
    return out


def _renumbered(labels: npt.NDArray[np.int64]) -> Clustering:
    """Groups below ``MIN_TOPIC_SIZE`` dissolved; the rest numbered by size (ties: first seen)."""
    valid = labels[labels >= 0]
    if len(valid) == 0:
        return Clustering(np.full(len(labels), -1, np.int64), 0)
    sizes = np.bincount(valid)
    first = {int(g): i for i, g in reversed(list(enumerate(labels))) if g >= 0}
    order = sorted(
        (g for g in range(len(sizes)) if sizes[g] >= MIN_TOPIC_SIZE),
        key=lambda g: (-int(sizes[g]), first[g]),
    )
    mapping = np.full(len(sizes), -1, np.int64)
    mapping[order] = np.arange(len(order))
    out = np.where(labels >= 0, mapping[np.maximum(labels, 0)], -1)
    return Clustering(out.astype(np.int64), len(order))
