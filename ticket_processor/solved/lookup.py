"""A new ticket's most similar solved tickets, from the vector the run already has of it.

One encoder pass a ticket: the caller hands the ticket's vector (the encoder's memo gives the
one the learned engine, the spam gate and the risk head read), and the lookup is a product with
the store's unit vectors. A solved ticket is shown only at ``MIN_SIMILARITY`` or above, so a
ticket like nothing the team has solved gets none; the note lists at most ``SHOWN``, best first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .store import SolvedStore

SHOWN = 3
# The cosine (between the encoder's vectors of the prepared texts) a solved ticket must reach
# to be shown: the highest at which the development sets lose no hit@3 against no floor at all
# (tests/data/answers_tickets.jsonl, the project's own writing, 0.974; bitext.jsonl's intents,
# 0.956; 0.35 already costs the first a hit). The figures are read on sets it was not chosen on
# (``python -m scripts.figures solved_figures``).
MIN_SIMILARITY = 0.3


@dataclass(frozen=True)
class SimilarSolved:
    ticket_id: int
    subject: str
    resolution: str
    similarity: float


def nearest(
    ids: npt.NDArray[np.int64],
    matrix: npt.NDArray[np.float32],
    vector: npt.NDArray[np.float32],
    *,
    k: int = SHOWN,
    floor: float = MIN_SIMILARITY,
    exclude: Collection[int] = (),
) -> list[tuple[int, float]]:
    """The ``k`` rows of ``matrix`` (unit vectors) most like ``vector``, at ``floor`` or
    above, as (id, cosine), best first; ``exclude``: ids never shown (the ticket itself)."""
    if not len(ids) or k <= 0:
        return []
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        return []
    cosines = matrix @ (np.asarray(vector, np.float32) / norm)
    order = np.argsort(-cosines, kind="stable")
    found: list[tuple[int, float]] = []
    for row in order:
        cosine = float(cosines[row])
        if cosine < floor or len(found) == k:
            break
        if int(ids[row]) not in exclude:
            found.append((int(ids[row]), cosine))
    return found


def similar(
    store: SolvedStore,
    vector: npt.NDArray[np.float32],
    *,
    k: int = SHOWN,
    floor: float = MIN_SIMILARITY,
    exclude: Collection[int] = (),
) -> tuple[SimilarSolved, ...]:
    """The solved tickets most like the ticket of ``vector``, with how each was solved."""
    ids, matrix = store.matrix()
    found = nearest(ids, matrix, vector, k=k, floor=floor, exclude=exclude)
    rows = store.rows([ticket_id for ticket_id, _ in found])
    return tuple(
        SimilarSolved(i, rows[i].subject, rows[i].resolution, round(cosine, 3))
        for i, cosine in found
        if i in rows
    )
