"""A new ticket's most similar solved tickets, from the vector the run already has of it and
the words it shares with them.

One encoder pass a ticket: the caller hands the ticket's vector (the encoder's memo gives the
one the learned engine, the spam gate and the risk head read), and the lookup is a product with
the store's unit vectors. The note lists at most ``SHOWN``, best first.

The cosine alone cannot tell a related solved ticket from an unrelated one between 0.3 and
0.65: at the floor of 0.3 nearly every ticket is shown an unrelated one. With
``TICKETBOT_SOLVED_SHARED_WORDS`` a solved ticket at ``MIN_SIMILARITY`` or above is shown
(``related``) only when the encoder is sure of it (``SURE_SIMILARITY``) or it holds at least
``MIN_SHARED_WORDS`` of the new ticket's content words (``kb.text.query_terms``, as the
help-centre search reads a query) in its subject and first message. The rule and its numbers
were chosen on the development sets by a criterion written before the held-out sets were read;
on the held-out help centres it showed an unrelated ticket far less often, but a ticket solved
the right way far less often too, under the share the feature was accepted on: so it is off
by default (``python -m scripts.figures solved_figures --shared-words``). A ticket like nothing
the team has solved gets none either way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..kb.text import query_terms
from .store import SolvedStore

SHOWN = 3
# The cosine (between the encoder's vectors of the prepared texts) a solved ticket must reach
# to be considered: the highest at which the development sets lose no hit@3 against no floor
# at all (tests/data/answers_tickets.jsonl, the project's own writing; bitext.jsonl's intents).
MIN_SIMILARITY = 0.3
# Shown above the floor when the cosine reaches SURE_SIMILARITY or the solved ticket holds
# MIN_SHARED_WORDS of the new ticket's content words: of a grid of such rules (and of cosine
# plus a weighted word share), the one with the best mean of hit@3 minus unrelated shown on the
# two development sets among those keeping hit@3 at 0.9 or more on each.
SURE_SIMILARITY = 0.6
MIN_SHARED_WORDS = 3
# The nearest solved tickets by cosine whose words are read: a bound on a large store's work.
CANDIDATES = 50


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


def related(cosine: float, shared: int) -> bool:
    """Whether a solved ticket at ``cosine`` (``MIN_SIMILARITY`` or above) that holds
    ``shared`` of the new ticket's content words is shown."""
    return cosine >= SURE_SIMILARITY or shared >= MIN_SHARED_WORDS


def shown(
    found: Sequence[tuple[int, float]],
    terms: Collection[str],
    words: Mapping[int, Collection[str]],
    k: int = SHOWN,
) -> list[tuple[int, float]]:
    """Of ``found`` (id, cosine, best first, at the floor or above), the first ``k`` that are
    ``related`` to a ticket of content words ``terms`` (``words``: each id's)."""
    terms = set(terms)
    kept = [
        (ticket_id, cosine)
        for ticket_id, cosine in found
        if related(cosine, len(terms.intersection(words.get(ticket_id, ()))))
    ]
    return kept[:k]


def similar(
    store: SolvedStore,
    vector: npt.NDArray[np.float32],
    *,
    text: str | None = None,
    k: int = SHOWN,
    floor: float = MIN_SIMILARITY,
    exclude: Collection[int] = (),
) -> tuple[SimilarSolved, ...]:
    """The solved tickets most like the ticket of ``vector``, with how each was solved;
    ``text``: its prepared text, whose content words a solved ticket must share (``related``),
    else the cosine floor alone decides."""
    ids, matrix = store.matrix()
    if text is None:
        found = nearest(ids, matrix, vector, k=k, floor=floor, exclude=exclude)
    else:
        near = nearest(ids, matrix, vector, k=CANDIDATES, floor=floor, exclude=exclude)
        words = store.words([i for i, cosine in near if cosine < SURE_SIMILARITY])
        found = shown(near, query_terms(text), words, k)
    rows = store.rows([ticket_id for ticket_id, _ in found])
    return tuple(
        SimilarSolved(i, rows[i].subject, rows[i].resolution, round(cosine, 3))
        for i, cosine in found
        if i in rows
    )
