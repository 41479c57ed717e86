"""A language guess from stopwords: good enough to tag a ticket, no model, no dependency.

Function words are the most frequent words of any text and differ between languages, so
counting them tells English from German or Spanish after a sentence or two. The list covers
the languages helpdesks commonly receive; anything unclear is English, the default.

``ISO_639_1`` is the closed vocabulary of language tags: only its codes become ``<prefix>lang_xx``
tags, whoever proposed them (a model can answer ``zz``); anything else is ``und``
("undetermined", the ISO 639-2 code for exactly this), see ``closed_language``.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_LANGUAGE = "en"
UNDETERMINED = "und"

# The 183 two-letter codes of ISO 639-1 (the Library of Congress registry), deprecated ones not.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
ISO_639_1: frozenset[str] = frozenset(_ISO_639_1_CODES.split())
# Withdrawn codes models still produce, and the code that replaced each.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def closed_language(code: str) -> str:
    """``code`` if it is an ISO 639-1 code (case and a region suffix forgiven), else ``und``."""
    head = code.strip().lower().replace("_", "-").split("-", 1)[0]
    head = _RENAMED.get(head, head)
    return head if head in ISO_639_1 else UNDETERMINED


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


def detect_language(tokens: Iterable[str]) -> str:
    """ISO 639-1 code of the language whose stopwords occur most; ``en`` when unsure."""
    counts = dict.fromkeys(STOPWORDS, 0)
    for token in tokens:
        for code, words in STOPWORDS.items():
            if token in words:
                counts[code] += 1
    best = max(counts, key=lambda code: (counts[code], code == DEFAULT_LANGUAGE))
    if counts[best] < _MIN_HITS or counts[best] <= counts[DEFAULT_LANGUAGE]:
        return DEFAULT_LANGUAGE
    return best
