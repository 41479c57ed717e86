"""The text the spam head reads, with the disguises spammers use to slip past a filter undone.
Pure; only the head reads it (the LLM, the note and every other judgement read the ticket as
written).

- Look-alike letters: a Latin word in Cyrillic or Greek letters (``pаypаl`` with a
  Cyrillic ``а``), fullwidth or mathematical letters (``ｐａｙｐａｌ``, ``𝐩𝐚𝐲𝐩𝐚𝐥``). NFKC folds the
  compatibility forms; the other scripts' look-alikes come from Unicode's confusables table as
  the ``confusable_homoglyphs`` package keeps it (Unicode's own data, kept up to date there,
  rather than a hand list of ours). A word is respelled only where it mixes a Latin letter
  with look-alikes, or where the text is mostly Latin and the whole word is look-alikes: a
  Russian or Greek customer's own words are left as they are.
- Dotted and spaced letters: ``p.a.y.p.a.l``, ``p a y p a l``, ``p-a-y-p-a-l``.
- Leetspeak: ``p4yp4l``, ``fr33``, ``v3rify``: digits standing for letters inside a word.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[^\W_]+")
# Three or more single letters joined by dots, hyphens, stars or underscores, or four or more
# by single spaces ("I a m" is too common to join).
_DOTTED = re.compile(r"(?<![^\W_])(?:[^\W\d_][.\-*_·]){2,}[^\W\d_](?![^\W_])")
_SPACED = re.compile(r"(?<![^\W_])(?:[^\W\d_] ){3,}[^\W\d_](?![^\W_])")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# A word that mixes letters and the digits leetspeak uses (with @ and $ inside it). The
# look-ahead passes over a word with none of them at once: ``_unleet`` gives it back as it is,
# and calling it for every word of every text was most of the time spent here.
_LEET_WORD = re.compile(
    r"(?<![\w@$])(?=[a-z0-9@$]*[013457@$])[a-z0-9@$]*[a-z][a-z0-9@$]*(?![\w@$])", re.IGNORECASE
)
# Letters and a number (ERR500, 404page): a code, not a word in disguise.
_CODE = re.compile(r"(?i)^(?:[a-z]+\d{3,}|\d{3,}[a-z]+)$")
_ORDINAL = re.compile(r"(?i)^\d+(?:st|nd|rd|th|s|k|g|x|h|m|d|am|pm|gb|mb|kb|tb|px|mm|cm|kg)$")


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    """Look-alike → the Latin letter it imitates, from the confusables package's table."""
    package = resources.files("confusable_homoglyphs")
    confusables = json.loads((package / "confusables.json").read_text("utf-8"))
    to_latin: dict[str, str] = {}
    for char, entries in confusables.items():
        if len(char) != 1 or char.isascii():
            continue
        for entry in entries:
            glyph = entry.get("c", "")
            if len(glyph) == 1 and glyph.isascii() and glyph.isalpha():
                to_latin[char] = glyph
                break
    return to_latin


def _latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN")


def _respell(text: str) -> str:
    to_latin = _table()
    # Each character's script looked up once a text, not once each time it occurs.
    is_latin = {c: _latin(c) for c in set(text)}
    # A word is letters and digits (``_WORD``: what ``str.isalnum`` takes). A text whose every
    # one is Latin (accents, a euro sign or a typographic quote are what take most texts off
    # ASCII) has no word to respell: every word would be given back as it is.
    if all(latin for c, latin in is_latin.items() if c.isalnum()):
        return text
    letters = [c for c in text if c.isalpha()]
    latin_text = sum(is_latin[c] for c in letters) >= 0.5 * max(len(letters), 1)

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if all(is_latin[c] for c in token):
            return token
        alike = [c in to_latin for c in token if not is_latin[c]]
        has_latin = any(is_latin[c] and c.isalpha() for c in token)
        if all(alike) and (has_latin or latin_text):
            return "".join(to_latin.get(c, c) if not is_latin[c] else c for c in token)
        return token

    return _WORD.sub(word, text)


def _unleet(match: re.Match[str]) -> str:
    token = match.group(0)
    letters = sum(c.isalpha() for c in token)
    leet = sum(c in "013457@$" for c in token)
    if leet == 0 or letters < 2 or len(token) < 3 or _ORDINAL.match(token):
        return token
    if any(c in "2689" for c in token) or _CODE.match(token):
        return token  # a code or a model number (h264, a1b2c3d4), not a word in disguise
    if token[-1] == "$" or token[0] == "$":
        return token  # a price
    return token.translate(_LEET)


def _unspace(line: str) -> str:
    """A line written letter by letter (``D e a r  c u s t o m e r``: words two spaces apart)
    with its words joined again; any other line as it is."""
    tokens = line.split()
    singles = sum(len(token) == 1 for token in tokens)
    if len(tokens) < 6 or singles < 0.6 * len(tokens) or "  " not in line:
        return line
    words = re.split(r" {2,}", line.strip())
    return " ".join(re.sub(r"(?<![,.;:!?]) ", "", word) for word in words)


def normalise(text: str) -> str:
    """``text`` with look-alike letters, dotted or spaced letters and leetspeak undone."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = _respell(text)
    text = _DOTTED.sub(lambda m: re.sub(r"[.\-*_·]", "", m.group(0)), text)
    text = "\n".join(_unspace(line) for line in text.split("\n"))
    text = _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    return _LEET_WORD.sub(_unleet, text)
