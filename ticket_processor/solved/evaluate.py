"""How often the similar solved tickets shown were solved the way the new ticket needs.

On a labelled history, each ticket in turn is the new one and every other ticket is the solved
history (leave one out: a history as large as the set allows). Two tickets were "solved the
same way" when they carry the same label: the help-centre article the agent's resolving reply
sent, or the intent a bank's agents answer with one reply template. A ticket counts only when
its kind has history (another ticket of its label); tickets with no label (needing a person)
stay in the history as look-alikes but are never the new ticket.

``hit_at_3``: among those tickets, the share where one of the (at most three) solved tickets
the note would show, by the lookup's rule (``lookup.shown``), was solved the same way.
``none_shown``: the share shown nothing. ``unrelated_shown``: the share still shown a solved
ticket when every ticket solved its way is taken out of the history (what the note shows for a
question the team has not solved before). ``encoder_only``: the rule before the words took
part, the cosine floor alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..kb.text import query_terms
from ..triage.prepare import prepare_ticket
from .lookup import CANDIDATES, MIN_SIMILARITY, SHOWN, nearest, shown


@dataclass(frozen=True)
class SolvedFigures:
    tickets: int  # labelled tickets whose kind has history
    hits: int
    none_shown: int
    unrelated: int = 0  # shown a solved ticket with every one solved its way taken out

    @property
    def hit_at_3(self) -> float:
        return self.hits / self.tickets if self.tickets else 0.0

    @property
    def none_shown_share(self) -> float:
        return self.none_shown / self.tickets if self.tickets else 0.0

    @property
    def unrelated_shown(self) -> float:
        return self.unrelated / self.tickets if self.tickets else 0.0

    def __add__(self, other: SolvedFigures) -> SolvedFigures:
        return SolvedFigures(
            self.tickets + other.tickets,
            self.hits + other.hits,
            self.none_shown + other.none_shown,
            self.unrelated + other.unrelated,
        )


def encoded_text(subject: str, description: str) -> str:
    """A ticket's text as a run encodes it (prepared: trimmed and redacted)."""
    prepared = prepare_ticket(subject, description)
    return f"{prepared.subject}\n{prepared.body}"


def leave_one_out(
    texts: Sequence[str],
    labels: Sequence[str | None],
    encode: Callable[[list[str]], npt.NDArray[np.float32]],
    *,
    floor: float = MIN_SIMILARITY,
    k: int = SHOWN,
    encoder_only: bool = False,
) -> SolvedFigures:
    """The figures of one labelled history (``texts`` as ``encoded_text`` makes them)."""
    matrix = np.asarray(encode(list(texts)), np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = (matrix / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    ids = np.arange(len(texts), dtype=np.int64)
    terms = [query_terms(text) for text in texts]
    words = dict(enumerate(terms))
    per_label = Counter(label for label in labels if label is not None)

    def lookup(i: int, exclude: set[int]) -> list[tuple[int, float]]:
        if encoder_only:
            return nearest(ids, matrix, matrix[i], k=k, floor=floor, exclude=exclude)
        near = nearest(ids, matrix, matrix[i], k=CANDIDATES, floor=floor, exclude=exclude)
        return shown(near, terms[i], words, k)

    tickets = hits = none = unrelated = 0
    for i, label in enumerate(labels):
        if label is None or per_label[label] < 2:
            continue
        tickets += 1
        found = lookup(i, {i})
        none += not found
        hits += any(labels[j] == label for j, _ in found)
        unrelated += bool(lookup(i, {j for j, other in enumerate(labels) if other == label}))
    return SolvedFigures(tickets, hits, none, unrelated)
