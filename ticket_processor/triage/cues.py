"""Tokenising ticket text and finding taxonomy cues in it, in one pass over the tokens.

Pure and fast: every cue of every category, urgency level and sentiment side is compiled once
into an index keyed by its first word, so matching costs a dictionary look-up per token however
many cues the taxonomy has. Cue syntax is described in ``taxonomy.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Words (with inner apostrophes: don't, customer's), emoticons, emoji, and ! and ?, which
# carry sentiment in short messages.
_TOKEN = re.compile(
    r"[a-z0-9]+(?:'[a-z]+)*"
    r"|[:;=]-?[()dp/\\|]"
    r"|<3"
    r"|[\u2600-\u27bf\U0001f300-\U0001faff]"
    r"|[!?]"
)
_ESCAPE = re.compile(r"\\[nrt]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")

ANY = ""  # a pattern element that matches any one token
# Tokens whose candidate cues a ``CueIndex`` keeps (a few MB at most; a run's tickets share
# most of their words, the first ones seen are the common ones).
CANDIDATES_KEPT = 20_000


def _fold(text: str) -> str:
    """Lower case without accents ("Rückerstattung" reads "ruckerstattung", "contraseña"
    "contrasena"): a word of German, French, Spanish or Portuguese is one token, not the
    pieces between its accented letters, and a cue matches it however it is accented."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokenise(text: str) -> list[str]:
    """Lower-cased tokens of ``text``, accents removed; curly apostrophes count as straight
    ones."""
    return _TOKEN.findall(_ESCAPE.sub(" ", _fold(text.replace("\u2019", "'"))))


@dataclass(frozen=True)
class Element:
    """One word of a compiled cue: an exact token, a prefix, or any token."""

    text: str
    prefix: bool = False

    def matches(self, token: str) -> bool:
        if self.prefix:
            return token.startswith(self.text)
        return self.text == ANY or token == self.text


def compile_cue(cue: str) -> tuple[Element, ...]:
    """Turn ``"refund* for * order"`` into elements, splitting words as the tokeniser does."""
    elements: list[Element] = []
    for word in cue.split():
        if word == "*":
            elements.append(Element(ANY))
            continue
        prefix = word.endswith("*")
        parts = tokenise(word.rstrip("*")) or [word.rstrip("*")]
        elements.extend(Element(part) for part in parts[:-1])
        elements.append(Element(parts[-1], prefix=prefix))
    return tuple(elements)


@dataclass
class CueIndex:
    """Compiled cues; ``find`` returns, per cue id, the token positions where it starts."""

    patterns: list[tuple[Element, ...]] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)
    _exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _prefix: dict[int, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    # A token's candidate cues (``_candidates``), the same in every ticket: kept for the
    # ``CANDIDATES_KEPT`` tokens seen first, a look-up instead of one per prefix length (a
    # dozen in the default taxonomy) for each token of each ticket.
    _known: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def add(self, cue: str) -> int:
        """The id of ``cue``, compiling it on first sight."""
        known = self._ids.get(cue)
        if known is not None:
            return known
        elements = compile_cue(cue)
        cue_id = len(self.patterns)
        self.patterns.append(elements)
        self._known.clear()
        self._ids[cue] = cue_id
        first = elements[0]
        if first.prefix:
            self._prefix[len(first.text)][first.text].append(cue_id)
        else:
            self._exact[first.text].append(cue_id)
        return cue_id

    def add_all(self, cues: Iterable[str]) -> list[int]:
        return [self.add(cue) for cue in cues]

    def _candidates(self, token: str) -> tuple[int, ...]:
        """The cues whose first word ``token`` can be: exact ones, then prefixes."""
        candidates = tuple(self._exact.get(token, ()))
        for length, table in self._prefix.items():
            if len(token) >= length:
                more = table.get(token[:length])
                if more:
                    candidates = (*candidates, *more)
        return candidates

    def find(self, tokens: Sequence[str]) -> dict[int, list[int]]:
        """Every cue found in ``tokens`` with its start positions."""
        found: dict[int, list[int]] = {}
        known = self._known
        count = len(tokens)
        for position, token in enumerate(tokens):
            if not token:
                continue
            candidates = known.get(token)
            if candidates is None:
                candidates = self._candidates(token)
                if len(known) < CANDIDATES_KEPT:
                    known[token] = candidates
            for cue_id in candidates:
                elements = self.patterns[cue_id]
                end = position + len(elements)
                if end > count:
                    continue
                if all(
                    element.matches(tokens[position + offset])
                    for offset, element in enumerate(elements[1:], start=1)
                ):
                    found.setdefault(cue_id, []).append(position)
        return found

    def blank_after(self, tokens: list[str], cue_ids: Iterable[int], window: int) -> None:
        """Blank out the ``window`` tokens after each of ``cue_ids`` (and the cue itself)."""
        wanted = set(cue_ids)
        if not wanted or window <= 0:
            return
        hits = self.find(tokens)
        for cue_id in wanted & hits.keys():
            length = len(self.patterns[cue_id])
            for start in hits[cue_id]:
                for position in range(start, min(len(tokens), start + length + window)):
                    tokens[position] = ""


def is_word(token: str) -> bool:
    return bool(_WORD.fullmatch(token))
