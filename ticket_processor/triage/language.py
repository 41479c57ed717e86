"""A language guess from the text's script, then its stopwords: good enough to tag a ticket,
no model.

A text written mostly in a script other than Latin is named by its script (Unicode's Script
property, read with the ``regex`` library): kana is Japanese, hangul Korean, Chinese
characters alone Chinese, Greek Greek, and so on. Cyrillic and Arabic scripts serve several
languages: the text's own letters or words name one (``ы`` or ``что``: Russian; ``ї``:
Ukrainian; ``پ`` without Urdu's letters: Persian), else it is ``und`` (undetermined), never
English. A Latin-script text is judged by its stopwords: function words are the most frequent
words of any text and differ between languages, so counting them tells English from German or
Spanish after a sentence or two; an unclear Latin-script text is English, the default. A text
with no letter at all is ``und``.

The closed vocabulary of language tags (``models.ISO_639_1``, ``models.closed_language``) is
part of the vocabulary every layer shares; this module only guesses a code from the words.
"""

from __future__ import annotations

from collections.abc import Iterable

from .script import script_language

DEFAULT_LANGUAGE = "en"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# About twenty frequent function words each, chosen to overlap little between languages.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were you your my i to of in it that this for with have has not "
        "be can please would"
    ),
    "de": _words(
        "der die das und ist nicht ich sie mit ein eine den dem zu auf für von wir bitte "
        "haben sind kann"
    ),
    "fr": _words(
        "le la les et est je vous nous une des pour pas avec sur dans mon ma que qui "
        "merci bonjour ne"
    ),
    "es": _words(
        "el la los las y es que de en un una por para con mi no se lo hola gracias está estoy pero"
    ),
    "it": _words(
        "il lo la gli le e è che di un una per con non sono mi ho grazie buongiorno questo della"
    ),
    "pt": _words(
        "o a os as e é que de em um uma para com não meu minha obrigado olá está estou mas você"
    ),
    "nl": _words("de het een en is van ik je niet met op te dat voor zijn heb bedankt graag wij u"),
}

# Below this many stopword hits the text is too short to judge.
_MIN_HITS = 2

# Each stopword's languages, so a token is looked up once rather than in every language's set.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _code, _stopwords in STOPWORDS.items():
    for _word in _stopwords:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _code)


def detect_language(tokens: Iterable[str], text: str | None = None) -> str:
    """ISO 639-1 code of the text's language, or ``und``. ``text``: the raw text ``tokens``
    came from (the tokens keep Latin letters only): its script names the language when it is
    not mostly Latin. Without it, or for a Latin-script text, the language whose stopwords
    occur most; ``en`` when unsure."""
    if text is not None:
        by_script = script_language(text)
        if by_script is not None:
            return by_script
    counts = dict.fromkeys(STOPWORDS, 0)
    languages_of = _LANGUAGES_OF.get
    for token in tokens:
        for code in languages_of(token, ()):
            counts[code] += 1
    best = max(counts, key=lambda code: (counts[code], code == DEFAULT_LANGUAGE))
    if counts[best] < _MIN_HITS or counts[best] <= counts[DEFAULT_LANGUAGE]:
        return DEFAULT_LANGUAGE
    return best
