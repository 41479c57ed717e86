"""How redaction's patterns are searched: the same matches, for less of the regex engine's time.

Each pattern of ``redact`` and its parts is searched here through one of three shortcuts, each
of which finds exactly what a plain search finds:

- ``guarded``: the pattern behind a look-ahead for the characters a match can start with
  (unless it opens with a character, which the engine skips to by itself);
- ``sub_near``: a pattern whose matches all hold a needle close to their start (an e-mail's
  ``@``) tried only near its needles;
- ``opens``: a rule anchored on a label word runs only when one of its words is in the text.

and a pattern runs only when its first look (``redact._NEEDED``: a regex, or one of the
``Look`` kinds here, ``LowerCaseLook`` and ``NonSpaceRun``) finds something every match holds.

``tests/triage/test_redact_looks.py`` checks the shortcuts' premises on the redaction corpus,
``tests/triage/test_redact_unchanged.py`` the end result.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from re import _constants, _parser  # type: ignore[attr-defined]
from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]
from typing import Any, Protocol


def sub_near(
    pattern: re.Pattern[str],
    needle: re.Pattern[str],
    reach: int,
    text: str,
    replace: Callable[[re.Match[str]], str],
) -> str:
    """``pattern.sub(replace, text)`` where every match holds a ``needle`` starting at most
    ``reach`` characters after the match does: a match is looked for only where it could
    start, from ``reach`` characters before a run of needles to its last needle, each place
    once. The e-mail patterns tried a 64-character local part at every word of a text; a long
    log with one ``@`` or one "at" paid that for all of it.

    The matches are the ones ``sub`` finds: no match starts elsewhere, and a search cut at
    ``_reads(pattern)`` characters past a place reads at that place what the whole text
    holds (a search from ``pos`` still sees the text before it, for its look-behinds). A run
    of needles each within that of the one before is searched at once, so needles packed
    together (a hostile ``a@a@a@...``) cost one search, as ``sub``'s, not one each."""
    pieces: list[str] = []
    done = tried = 0  # end of the last match; places before ``tried`` hold no match
    last = -1  # the last needle of the run being searched
    reads = _reads(pattern)
    while True:
        start = max(done, tried)
        if last < start:
            hit = needle.search(text, start)
            if hit is None:
                break
            last = hit.start()
            while (more := needle.search(text, last + 1)) is not None and (
                more.start() <= last + reads
            ):
                last = more.start()
            start = max(start, hit.start() - reach)
        match = pattern.search(text, start, last + reads)
        if match is None or match.start() > last:
            tried = last + 1
            continue
        match = pattern.match(text, match.start())  # the same match, on the whole text
        assert match is not None  # it matched with all it reads in view
        pieces += (text[done : match.start()], replace(match))
        done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


@functools.cache
def _reads(pattern: re.Pattern[str]) -> int:
    """How far past where it starts a match of ``pattern`` reads at most: its widest match,
    its look-aheads counted as if they consumed (an upper bound, which is all that is needed)."""
    consuming = pattern.pattern.replace("(?=", "(?:").replace("(?!", "(?:")
    return int(_parser.parse(consuming, pattern.flags).getwidth()[1]) + 1


@functools.cache
def guarded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` behind a look-ahead for the characters a match can start with, or
    ``pattern`` itself when that cannot be said (a match may start with anything, or be
    empty).

    Most patterns here open with look-behinds and word boundaries, so the regex engine tried
    the whole pattern, alternatives and all, at every position of every text: most of
    redaction's CPU. One character class tried first turns most positions away at once. The
    matches are the same: the look-ahead only states what every match already starts with.
    """
    parsed = _parser.parse(pattern.pattern, pattern.flags).data
    if _opens_with_a_character(parsed):
        return pattern  # the engine skips to its first character already: a guard would stop it
    starts = _first_characters(parsed)
    if starts is None:
        return pattern
    flags = _LEADING_FLAGS.match(pattern.pattern)
    head = flags.group(0) if flags else ""
    return re.compile(f"{head}(?=[{starts}])(?:{pattern.pattern[len(head) :]})", pattern.flags)


# A pattern's global inline flags (``(?i)``): they must stay at its start.
_LEADING_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_CLASS_ESCAPES = {
    _constants.CATEGORY_DIGIT: r"\d",
    _constants.CATEGORY_NOT_DIGIT: r"\D",
    _constants.CATEGORY_WORD: r"\w",
    _constants.CATEGORY_NOT_WORD: r"\W",
    _constants.CATEGORY_SPACE: r"\s",
    _constants.CATEGORY_NOT_SPACE: r"\S",
}


def _opens_with_a_character(items: Sequence[tuple[Any, Any]]) -> bool:
    """Whether a pattern's first item is a character or a class (``-----BEGIN``,
    ``https://``, ``\\[PHONE\\]``): the regex engine then looks for it alone from place to
    place (its prefix scan), where a leading look-ahead makes it try the whole pattern at
    each."""
    while items and items[0][0] is _constants.SUBPATTERN:
        items = items[0][1][-1].data
    return bool(items) and items[0][0] in (_constants.LITERAL, _constants.IN)


def _first_characters(items: Sequence[tuple[Any, Any]]) -> str | None:
    """The body of a character class holding every character a match of the parsed
    ``items`` can start with; None when a match could be empty or start with anything this
    does not follow (a negated class, any character, a back-reference)."""
    found, empty = _starts(items)
    return None if found is None or empty or not found else "".join(sorted(found))


def _starts(items: Sequence[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    """(the class parts a match of ``items`` can start with, whether it can be empty)."""
    parts: set[str] = set()
    for op, value in items:
        found, empty = _starts_one(op, value)
        if found is None:
            return None, False
        parts |= found
        if not empty:
            return parts, False
    return parts, True


def _starts_one(op: Any, value: Any) -> tuple[set[str] | None, bool]:
    c = _constants
    if op is c.LITERAL:
        return {re.escape(chr(value))}, False
    if op is c.IN:
        parts: set[str] = set()
        for kind, item in value:
            if kind is c.LITERAL:
                parts.add(re.escape(chr(item)))
            elif kind is c.RANGE:
                parts.add(f"{re.escape(chr(item[0]))}-{re.escape(chr(item[1]))}")
            elif kind is c.CATEGORY and item in _CLASS_ESCAPES:
                parts.add(_CLASS_ESCAPES[item])
            else:
                return None, False  # a negated class: anything may start a match
        return parts, False
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return set(), True  # consumes nothing: what follows starts the match
    if op is c.SUBPATTERN:
        return _starts(value[-1].data)
    if op is c.BRANCH:
        parts, empty = set(), False
        for branch in value[1]:
            found, can_be_empty = _starts(branch.data)
            if found is None:
                return None, False
            parts |= found
            empty = empty or can_be_empty
        return parts, empty
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        low, _high, repeated = value
        found, empty = _starts(repeated.data)
        return found, empty or low == 0
    return None, False


class Look(Protocol):
    """A pattern's cheap first look (``redact._NEEDED``): ``search`` finds something in every
    text the pattern matches, and None, most of the time, where it does not."""

    def search(self, text: str, /) -> object: ...


# The letters ``(?i)`` matches to others beyond their simple lower case (``re._casefix``:
# dotless ı matches i, long ſ matches s; Greek, Cyrillic), ASCII's left out, and the combining
# dot ``str.lower`` writes after an i for the capital İ.
OTHER_CASES = "".join(
    sorted(
        {chr(c) for key, others in _EXTRA_CASES.items() for c in (key, *others) if c > 0x7F}
        | {"\u0307"}
    )
)
_OTHER_CASES = re.compile(f"[{OTHER_CASES}]")


class LowerCaseLook:
    """A first look for a pattern under ``(?i)``, written in lower case without ``(?i)`` and
    searched in the lower-cased text: a case-insensitive alternation of forty words cost as
    much to look for as to match, written in lower case it is searched letter by letter.

    ``(?i)`` matches a letter to another when their simple lower cases agree, which is what
    ``str.lower`` gives, except for the letters of ``OTHER_CASES``: a text holding any of them
    is let through (the look's own letters are ASCII or have no other case)."""

    def __init__(self, pattern: str) -> None:
        if pattern != pattern.lower() or set(pattern) & set(OTHER_CASES):
            raise ValueError(f"a lower-case look in lower case, without other cases: {pattern}")
        self.pattern = re.compile(pattern)

    def search(self, text: str, /) -> object:
        lowered = text.lower()
        return self.pattern.search(lowered) or _OTHER_CASES.search(lowered)


class NonSpaceRun:
    """A first look for ``length`` characters in a row, none a space (``str.split`` and the
    regex engine's ``\\s`` take the same characters for spaces): ``str.split`` finds the runs
    in one pass, where ``\\S{40}`` counted each run again from each of its characters."""

    def __init__(self, length: int) -> None:
        self.length = length

    def search(self, text: str, /) -> object:
        return True if max(map(len, text.split()), default=0) >= self.length else None


def opens(gate: tuple[str, ...], text: str, lowered: str) -> bool:
    """Whether any of ``gate``'s words is in the text: a lower-case word in ``lowered``, a
    word with a capital (a label the pattern only takes as written: ``SIN``, ``PAN``) in
    ``text`` itself, so that "using" or "company" do not open it."""
    made = _GATES.get(id(gate))
    if made is None or made[0] is not gate:
        made = _GATES[id(gate)] = (gate, *_gate_patterns(gate))
    _, lower, cased = made
    return bool(
        (lower is not None and lower.search(lowered)) or (cased is not None and cased.search(text))
    )


# A gate's patterns by the gate's id: the rules' gates are their modules' constants, and a
# tuple of fifty words is hashed word by word at every lookup, for every rule and text. The
# gate is kept in the entry and checked, should an id be reused.
_GATES: dict[int, tuple[tuple[str, ...], re.Pattern[str] | None, re.Pattern[str] | None]] = {}


@functools.cache
def _gate_patterns(gate: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """``gate``'s lower-case words and its words as written, each as one pattern."""
    lower = frozenset(word for word in gate if word == word.lower())
    cased = frozenset(gate) - lower
    return (
        _gate_pattern(tuple(sorted(lower))) if lower else None,
        _gate_pattern(tuple(sorted(cased))) if cased else None,
    )


@functools.cache
def _gate_pattern(gate: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``gate``'s words, as one pattern made once: a gate of fifty digit words was fifty
    substring searches, each from Python, for every ticket. The words are written as a tree of
    their first letters (``a(?:cc|ba)|b(?:sb|lz)``), so the regex engine tries a letter once
    at each place rather than once a word."""
    return re.compile(_word_tree(frozenset(gate)))


def _word_tree(words: frozenset[str]) -> str:
    """A pattern that finds any of ``words`` (none empty) in a text: a word that another starts
    with stands for both, since the shorter is found wherever the longer is."""
    by_first: dict[str, set[str]] = {}
    for word in words:
        by_first.setdefault(word[0], set()).add(word[1:])
    branches = [
        re.escape(first) + ("" if "" in rests else _word_tree(frozenset(rests)))
        for first, rests in sorted(by_first.items())
    ]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
