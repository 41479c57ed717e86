"""The language a ticket's skills take: the LLM's reading, else the stopwords' and Lingua's.

The triage's own language (``triage.language``: script, then stopwords) is right on sentences
but weak on one-line tickets outside English, and a wrong language sends a ticket to agents who
cannot read it. So, for the assignment only (a feature that is off loads nothing):

- the LLM's language, when the LLM triaged the ticket;
- a text in a script other than Latin, or whose stopwords name a language other than English,
  or with a word only English writes (``_ENGLISH_ONLY``): the triage's reading;
- otherwise Lingua (``lingua-language-detector``: its n-gram models ship as data in the
  wheel, no download, no pickle), in its high-accuracy mode, choosing among English and the
  Latin-script languages the helpdesk's skills name; a language other than English only when
  Lingua is at least ``_CONFIDENT`` sure of it. Its models load once per process, on the first
  such ticket (about 2 s of CPU and 200 MB of memory for seven languages): only a run that
  assigns pays. Its low-accuracy mode is cheaper but read short English requests ("cancel my
  order") as French or German.

The thresholds were chosen on the dev sets of ``scripts/figures_assignment.py`` and measured
on a held-out set they were not chosen on (``tests/data/language_heldout.jsonl``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..triage.language import DEFAULT_LANGUAGE, STOPWORDS

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Words of ``_ENGLISH_ONLY`` from which on a text is English whatever Lingua would say.
_ENGLISH_HITS = 1
# Lingua's confidence a language other than English needs.
_CONFIDENT = 0.5

# The Latin-script languages Lingua is asked about, by ISO 639-1 code.
_LINGUA_NAMES = {
    "en": "ENGLISH", "de": "GERMAN", "fr": "FRENCH", "es": "SPANISH", "it": "ITALIAN",
    "pt": "PORTUGUESE", "nl": "DUTCH", "pl": "POLISH", "sv": "SWEDISH", "da": "DANISH",
    "no": "BOKMAL", "fi": "FINNISH", "tr": "TURKISH", "cs": "CZECH", "ro": "ROMANIAN",
    "hu": "HUNGARIAN", "vi": "VIETNAMESE",
}  # fmt: skip
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def _detector(codes: frozenset[str]) -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, _LINGUA_NAMES[c]) for c in sorted(codes)]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def lingua_languages(codes: Iterable[str]) -> frozenset[str]:
    """The codes among ``codes`` Lingua is asked about, English always among them."""
    return frozenset({DEFAULT_LANGUAGE, *(c for c in codes if c in _LINGUA_NAMES)})


# English words no other language of ``_LINGUA_NAMES`` writes: the triage's English stopwords
# less those other languages share ("in", "is", "was", "i", "to"), and a few more a
# customer's one-line request ("how to get my refund") holds.
_MORE_ENGLISH = (
    "my how what when where why who which does did don't dont can't cant won't need get got "
    "from by about they their she his just still any some there into out"
)
_ENGLISH_ONLY = (STOPWORDS[DEFAULT_LANGUAGE] - {"i", "in", "is", "was", "to"}) | frozenset(
    _MORE_ENGLISH.split()
)


def _english_hits(tokens: Iterable[str]) -> int:
    return sum(1 for token in tokens if token in _ENGLISH_ONLY)


def routing_language(
    read: str, tokens: Iterable[str], text: str, codes: frozenset[str], *, by_llm: bool = False
) -> str:
    """The language the ticket's skills take. ``read``: the triage's language; ``tokens``: the
    text's words as the triage reads them; ``codes``: the languages Lingua may name (see
    ``lingua_languages``); ``by_llm``: the LLM read ``read``."""
    if by_llm or read != DEFAULT_LANGUAGE or len(codes) < 2:
        return read
    if _english_hits(tokens) >= _ENGLISH_HITS:
        return read
    with _LOCK:  # built once per language set; Lingua's detector is safe to share once built
        detector = _detector(codes)
    values = detector.compute_language_confidence_values(text)
    if not values:
        return read
    best = values[0]
    code = next((c for c, name in _LINGUA_NAMES.items() if name == best.language.name), read)
    if code != DEFAULT_LANGUAGE and best.value >= _CONFIDENT:
        return code
    return read
