"""The language a ticket's skills take: the LLM's reading, else Lingua's and the stopwords'.

The triage's own language (``triage.language``: script, then stopwords) is right on sentences
but weak on one-line tickets outside English, and a wrong language sends a ticket to agents who
cannot read it. So, for the assignment only (a feature that is off loads nothing):

- the LLM's language, when the LLM triaged the ticket;
- a text in a script other than Latin: the script's reading (``triage.script``); where that
  leaves a Cyrillic text undetermined, Lingua among the Cyrillic languages the helpdesk has
  skills for;
- a Latin-script text: its new words only (``reading_text``: the quoted history, the
  signature, links, addresses and words with digits taken out), scored for each language the
  helpdesk has skills for, English always among them: Lingua's confidence (between 0 and 1,
  summing to 1), plus ``_STOPWORD_WEIGHT`` for each of the triage's stopwords of that
  language, plus for English ``_ENGLISH_WEIGHT`` a word only English writes
  (``_ENGLISH_ONLY``) and ``_ENGLISH_PRIOR``, so that a one-line request Lingua is unsure of
  stays English; the highest score wins;
- a text with no word left to read by (a code, a link, a signature alone): the helpdesk's
  language (``default``, the agents').

Lingua (``lingua-language-detector``: its n-gram models ship as data in the wheel, no download,
no pickle) runs in its high-accuracy mode; its models load once per process, on the first
ticket read (about 2 s of CPU and 200 MB of memory for seven languages): only a run that assigns
pays. Its low-accuracy mode is cheaper but read short English requests ("cancel my order") as
French or German.

The weights were chosen on the dev sets of ``scripts/figures_assignment.py``
(``assignment_language --dev-only``); held-out sets were not read while choosing them.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..triage.cues import tokenise
from ..triage.language import DEFAULT_LANGUAGE, STOPWORDS
from ..triage.reply_text import strip_reply
from ..triage.script import script_language

if TYPE_CHECKING:
    from lingua import LanguageDetector

# Each stopword of a language adds this to its score (Lingua's confidences sum to 1).
_STOPWORD_WEIGHT = 0.15
# Each word only English writes adds this to English's score.
_ENGLISH_WEIGHT = 0.2
# English's head start: a short request Lingua is unsure of stays English.
_ENGLISH_PRIOR = 0.15
# And a one-word text's more: one word is too little for Lingua to be trusted on.
_ONE_WORD_PRIOR = 0.3

# The languages Lingua is asked about, by ISO 639-1 code: every one it reads in Latin letters,
# and the Cyrillic ones.
_LINGUA_NAMES = {
    "en": "ENGLISH", "de": "GERMAN", "fr": "FRENCH", "es": "SPANISH", "it": "ITALIAN",
    "pt": "PORTUGUESE", "nl": "DUTCH", "pl": "POLISH", "sv": "SWEDISH", "da": "DANISH",
    "no": "BOKMAL", "nn": "NYNORSK", "fi": "FINNISH", "tr": "TURKISH", "cs": "CZECH",
    "ro": "ROMANIAN", "hu": "HUNGARIAN", "vi": "VIETNAMESE", "af": "AFRIKAANS",
    "sq": "ALBANIAN", "az": "AZERBAIJANI", "eu": "BASQUE", "bs": "BOSNIAN", "ca": "CATALAN",
    "hr": "CROATIAN", "eo": "ESPERANTO", "et": "ESTONIAN", "is": "ICELANDIC",
    "id": "INDONESIAN", "ga": "IRISH", "la": "LATIN", "lv": "LATVIAN", "lt": "LITHUANIAN",
    "ms": "MALAY", "mi": "MAORI", "sk": "SLOVAK", "sl": "SLOVENE", "so": "SOMALI",
    "sw": "SWAHILI", "tl": "TAGALOG", "cy": "WELSH", "yo": "YORUBA", "zu": "ZULU", "xh": "XHOSA",
    "ru": "RUSSIAN", "uk": "UKRAINIAN", "bg": "BULGARIAN", "mk": "MACEDONIAN", "sr": "SERBIAN",
    "be": "BELARUSIAN", "kk": "KAZAKH", "mn": "MONGOLIAN",
}  # fmt: skip
_CYRILLIC = frozenset({"ru", "uk", "bg", "mk", "sr", "be", "kk", "mn"})
_CODE_OF = {name: code for code, name in _LINGUA_NAMES.items()}
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def _detector(codes: frozenset[str]) -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, _LINGUA_NAMES[c]) for c in sorted(codes)]
    return LanguageDetectorBuilder.from_languages(*languages).build()


def lingua_languages(codes: Iterable[str]) -> frozenset[str]:
    """The codes among ``codes`` Lingua is asked about, English always among them."""
    return frozenset({DEFAULT_LANGUAGE, *(c for c in codes if c in _LINGUA_NAMES)})


# English words no other language of the candidates writes: the triage's English stopwords
# less those other languages share ("in", "is", "was", "i", "to"; "for" and "have", Danish,
# Norwegian and Swedish words too), and a few more a customer's one-line request ("how to get
# my refund") holds.
_MORE_ENGLISH = (
    "my how what when where why who which does did don't dont can't cant won't need get got "
    "from about they their she his just still any some there into out"
)
_ENGLISH_ONLY = (STOPWORDS[DEFAULT_LANGUAGE] - {"i", "in", "is", "was", "to", "for", "have"}) | (
    frozenset(_MORE_ENGLISH.split())
)
# The triage's stopwords as ``tokenise`` leaves them (accents off: "não" is read "nao").
_STOPWORDS = {code: frozenset(tokenise(" ".join(words))) for code, words in STOPWORDS.items()}
# Enough of a text to read its language by: Lingua's time grows with the text.
_READ_CHARS = 1000
# Links, e-mail addresses and words with a digit (order numbers, codes): no language's words.
_NOT_WORDS = re.compile(r"\S*(?:://|www\.|@|\d)\S*", re.IGNORECASE)


def reading_text(text: str) -> str:
    """What of ``text`` (its subject, a line break, its description) the language is read
    from: the subject and the description's new text (``triage.reply_text.strip_reply``:
    quoted history and signature cut), links, addresses and words with digits taken out."""
    subject, _, body = text.partition("\n")
    return _NOT_WORDS.sub(" ", f"{subject}\n{strip_reply(body)}"[:_READ_CHARS])


def _scores(words: list[str], text: str, codes: frozenset[str]) -> dict[str, float]:
    with _LOCK:  # built once per language set; Lingua's detector is safe to share once built
        detector = _detector(codes)
    scores = dict.fromkeys(codes, 0.0)
    for value in detector.compute_language_confidence_values(text):
        scores[_CODE_OF[value.language.name]] = value.value
    for word in words:
        for code, stopwords in _STOPWORDS.items():
            if code in scores and word in stopwords:
                scores[code] += _STOPWORD_WEIGHT
        if word in _ENGLISH_ONLY:
            scores[DEFAULT_LANGUAGE] += _ENGLISH_WEIGHT
    scores[DEFAULT_LANGUAGE] += _ENGLISH_PRIOR
    if sum(1 for word in words if len(word) > 1) == 1:
        scores[DEFAULT_LANGUAGE] += _ONE_WORD_PRIOR
    return scores


def _cyrillic_language(read: str, text: str, codes: frozenset[str]) -> str:
    """A Cyrillic text's language: the script's reading, or Lingua's among the helpdesk's
    Cyrillic languages where the script's letters and words named none."""
    cyrillic = codes & _CYRILLIC
    if read != "und" or len(cyrillic) < 2 or not re.search("[\u0400-\u04ff]", text):
        return read
    with _LOCK:
        detector = _detector(frozenset(cyrillic))
    found = detector.detect_language_of(text)
    return read if found is None else _CODE_OF[found.name]


def routing_language(
    read: str,
    text: str,
    codes: frozenset[str],
    *,
    by_llm: bool = False,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The language the ticket's skills take. ``read``: the triage's language; ``text``: the
    ticket's subject, a line break, its description; ``codes``: the languages Lingua may name
    (see ``lingua_languages``); ``by_llm``: the LLM read ``read``; ``default``: the helpdesk's
    language, for a text with no word to read by."""
    if by_llm or len(codes) < 2:
        return read
    if not any(char.isalpha() for char in text):
        return default
    if script_language(text) is not None:
        return _cyrillic_language(read, text, codes)
    kept = reading_text(text)
    words = tokenise(kept)
    if not any(len(word) > 1 for word in words):
        return default
    scores = _scores(words, kept, codes)
    return max(sorted(scores), key=lambda code: scores[code])
