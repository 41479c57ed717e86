"""Which macro an agent's reply used: the reply holds most of the macro's own words.

Agents apply a macro and then edit it: greet by name, add a sentence, cut one. A reply is
taken to have used a macro when it holds at least ``HELD`` of the macro's distinct words (its
placeholders such as ``{{ticket.requester.first_name}}`` left out), and the macro whose words it
holds most wins (ties: the longer macro, whose match says more). A macro of fewer than
``MIN_WORDS`` words ("Thanks!") says too little to be recognised and is never matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..models.ready_reply import ReadyReply

HELD = 0.7
MIN_WORDS = 5
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}|\{%[^%]*%\}")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text)))


class ReplyMatcher:
    """The macros' words, read once; ``used`` names the macro a reply used, if any."""

    def __init__(self, macros: Sequence[ReadyReply]) -> None:
        self._macros = [(m.id, words(m.text)) for m in macros if m.text]
        self._macros = [(i, w) for i, w in self._macros if len(w) >= MIN_WORDS]

    def used(self, reply: str) -> int | None:
        said = words(reply)
        best: tuple[float, int, int] | None = None
        for macro_id, macro_words in self._macros:
            held = len(macro_words & said) / len(macro_words)
            if held >= HELD:
                key = (held, len(macro_words), -macro_id)
                if best is None or key > best:
                    best = key
        return -best[2] if best is not None else None

    def first_used(self, replies: Iterable[str]) -> int | None:
        """The macro of the first reply that used one: the answer, not a later follow-up."""
        for reply in replies:
            found = self.used(reply)
            if found is not None:
                return found
        return None
