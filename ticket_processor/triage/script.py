"""The language a text's script names, when the text is not mostly in Latin letters.

Unicode gives every letter a Script property (``Han``, ``Hiragana``, ``Cyrillic``, ...); the
``regex`` library reads it (``\\p{Script=Han}``) from the Unicode version it ships, where
Python's ``re`` and ``unicodedata`` do not have it. A script that one language writes names
that language; Japanese mixes Chinese characters with kana, so any kana makes a CJK text
Japanese, and hangul Korean. Cyrillic and Arabic scripts serve several languages: a letter
only one of them uses, or one of a few words only one of them has, names it; otherwise the
text is ``und``. Pure and fast: one count of the first few thousand characters, each distinct
one looked up once.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import TYPE_CHECKING

from ..models import UNDETERMINED

if TYPE_CHECKING:
    import regex

# Enough text to judge by; a ticket's first lines are in its language.
_MAX_CHARS = 4000

# Scripts one language writes (among those helpdesks receive): ISO 639-1 code by script.
_ONE_LANGUAGE = {
    "Greek": "el",
    "Hebrew": "he",
    "Thai": "th",
    "Armenian": "hy",
    "Georgian": "ka",
    "Khmer": "km",
    "Lao": "lo",
    "Sinhala": "si",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Gujarati": "gu",
    "Gurmukhi": "pa",
}
# Scripts read here: the CJK ones, the shared Cyrillic and Arabic, and every one above.
# Devanagari (Hindi, Marathi, Nepali), Bengali (Bengali, Assamese) and any other script are
# letters too, counted among "other": such a text is ``und``.
_SCRIPTS = ("Latin", "Han", "Hiragana", "Katakana", "Hangul", "Cyrillic", "Arabic", *_ONE_LANGUAGE)
# The patterns are kept as sources, compiled by ``_compiled`` when first matched.
_PATTERNS = {name: rf"\p{{Script={name}}}" for name in _SCRIPTS}
_LETTER = r"\p{L}"

# Cyrillic letters one language uses (of those written in Cyrillic): the first that occurs
# names it. Letters two share (``і``: Ukrainian, Belarusian, Kazakh; ``ј``: Serbian,
# Macedonian) name none.
_CYRILLIC_LETTERS = (
    ("ўЎ", "be"),
    ("їЇєЄґҐ", "uk"),
    ("ђЂћЋ", "sr"),
    ("ѓЃќЌѕЅ", "mk"),
    ("әӘғҒқҚұҰ", "kk"),
)
# Letters neither Russian nor Bulgarian has: a text with one is some other language.
_NOT_RU_BG = r"[іІјЈљЉњЊџЏңҢөӨүҮһҺҗҖ]"
# Russian has these letters and Bulgarian does not (Bulgarian dropped ы and э in 1945).
_RUSSIAN_LETTERS = r"[ыЫэЭёЁ]"
# Frequent words of one of the two only (Bulgarian says "какво", "мога", "аз", "съм").
_RUSSIAN_WORDS = frozenset(
    ["что", "это", "могу", "меня", "мне", "пожалуйста", "нет", "есть", "вы", "мой", "моя"]
)
_BULGARIAN_WORDS = frozenset(["какво", "мога", "аз", "съм", "ще", "във", "със", "моля"])
_CYRILLIC_WORD = r"\p{Script=Cyrillic}+"

# Arabic-script letters: Urdu's own (ٹ ڈ ڑ ں ے ۓ ھ), Persian's (پ چ ژ گ, and ک ی where Arabic
# writes ك ي), Arabic's (ة, and its own kaf and yeh).
_URDU = "[\u0679\u0688\u0691\u06ba\u06d2\u06d3\u06be]"
_PERSIAN = "[\u067e\u0686\u0698\u06af\u06a9\u06cc]"
_ARABIC = "[\u0629\u0643\u064a]"


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    """``pattern`` compiled by ``regex``, the first time a text that is not plain ASCII asks:
    the library and its patterns cost nothing to a run that reads no such text."""
    import regex

    return regex.compile(pattern)


@functools.cache
def _script(char: str) -> str | None:
    """The script read here of one letter ("other" for any other letter), None for a
    character that is no letter. Cached: a text repeats few distinct characters."""
    if not _compiled(_LETTER).match(char):
        return None
    return next(
        (name for name, pattern in _PATTERNS.items() if _compiled(pattern).match(char)), "other"
    )


def _count(text: str) -> dict[str, int]:
    """Letters per script (and ``letters``, all of them): one count per distinct character."""
    counts = dict.fromkeys((*_SCRIPTS, "other", "letters"), 0)
    for char, times in Counter(text).items():
        script = _script(char)
        if script is not None:
            counts[script] += times
            counts["letters"] += times
    return counts


def _cyrillic(text: str) -> str:
    for letters, code in _CYRILLIC_LETTERS:
        if any(letter in text for letter in letters):
            return code
    if _compiled(_NOT_RU_BG).search(text):
        return UNDETERMINED
    found = frozenset(word.lower() for word in _compiled(_CYRILLIC_WORD).findall(text))
    russian = bool(_compiled(_RUSSIAN_LETTERS).search(text)) or bool(found & _RUSSIAN_WORDS)
    bulgarian = bool(found & _BULGARIAN_WORDS)
    if russian != bulgarian:
        return "ru" if russian else "bg"
    return UNDETERMINED


def _arabic(text: str) -> str:
    if _compiled(_URDU).search(text):
        return "ur"
    persian, arabic = bool(_compiled(_PERSIAN).search(text)), bool(_compiled(_ARABIC).search(text))
    if persian != arabic:
        return "fa" if persian else "ar"
    return UNDETERMINED


def script_language(text: str) -> str | None:
    """The ISO 639-1 code the text's script names, ``und`` when it names none surely, or None
    when the text is mostly in Latin letters (its words decide, ``triage.language``)."""
    text = text[:_MAX_CHARS]
    if text.isascii():  # the common case, without a look at each character
        return None if any(c.isalpha() for c in text) else UNDETERMINED
    counts = _count(text)
    letters = counts["letters"]
    if letters == 0:
        return UNDETERMINED
    if counts["Latin"] * 2 >= letters:
        return None
    kana = counts["Hiragana"] + counts["Katakana"]
    cjk = counts["Han"] + kana + counts["Hangul"]
    groups = {
        "cjk": cjk,
        "Cyrillic": counts["Cyrillic"],
        "Arabic": counts["Arabic"],
        **{name: counts[name] for name in _ONE_LANGUAGE},
    }
    script = max(groups, key=lambda name: groups[name])
    if groups[script] * 2 < letters - counts["Latin"]:
        return UNDETERMINED  # mostly a script read here as no language's
    if script == "cjk":
        if counts["Hangul"] >= kana and counts["Hangul"] > 0:
            return "ko"
        return "ja" if kana else "zh"
    if script == "Cyrillic":
        return _cyrillic(text)
    if script == "Arabic":
        return _arabic(text)
    return _ONE_LANGUAGE[script]
