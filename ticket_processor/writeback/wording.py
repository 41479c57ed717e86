"""The note's words in the agent's language: one table per language, as data
(``words/<code>.toml``).

A table holds the note's labels and sentences (keys such as ``category`` or ``no_translation``,
sentences with ``{placeholders}``) and the names of languages in that language. Every table has
every key of ``en.toml`` and the same placeholders in each sentence (a test checks it), so a
language is one file a native speaker can review. A language without a table gets English
labels (with an LLM, the note's free text is still in that language). Only the prose is
translated: the header's ``ticketbot triage (`` and the trailer stay as machines read them
(``writeback.note``, ``writeback.trailer``). A step's own part of the note has its words in its
own folder, read the same way (``folder_wording``). Pure (the tables are read once, from the
package).
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

DEFAULT_LANGUAGE = "en"
# The languages with a table: the note is all theirs without an LLM.
TEMPLATE_LANGUAGES = ("en", "de", "fr", "es", "nl", "pt")
# The keys that name a line's label: untrusted text shaped like one is quoted in the note.
LABEL_KEYS = (
    "summary", "category", "subcategory", "urgency", "sentiment", "language", "confidence",
    "confidence_calibrated",
)  # fmt: skip


@dataclass(frozen=True)
class Wording:
    """One language's table: ``say(key, **values)`` is a sentence, ``label(key, value)`` a
    ``Label: value`` line in that language's typography."""

    code: str
    words: Mapping[str, str]
    names: Mapping[str, str]

    def say(self, key: str, **values: object) -> str:
        return self.words[key].format(**values)

    def label(self, key: str, value: object) -> str:
        return self.say("label_line", label=self.words[key], value=value)

    def language_name(self, code: str) -> str:
        """``Französisch (fr)``; a code the table does not name stands alone."""
        name = self.names.get(code)
        return f"{name} ({code})" if name else code


def _read(code: str) -> dict[str, object]:
    text = resources.files(__package__).joinpath("words", f"{code}.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def wording(language: str) -> Wording:
    """The table of ``language`` (an ISO 639-1 code), English where it has none."""
    code = language if language in TEMPLATE_LANGUAGES else DEFAULT_LANGUAGE
    table = _read(code)
    names = table.pop("languages", {})
    assert isinstance(names, dict)
    return Wording(
        code=code,
        words={k: str(v) for k, v in table.items()},
        names={k: str(v) for k, v in names.items()},
    )


@cache
def folder_wording(package: str, language: str) -> Wording:
    """A step's own words in ``language``: its folder's table (``<package>/words/<code>.toml``,
    keys of the step's own), English where the folder has none for it, so a feature's part of
    the note is translated in its folder without a line here. The names of languages are the
    note's."""
    code = language if language in TEMPLATE_LANGUAGES else DEFAULT_LANGUAGE
    folder = resources.files(package).joinpath("words")
    if not folder.joinpath(f"{code}.toml").is_file():
        code = DEFAULT_LANGUAGE
    table = tomllib.loads(folder.joinpath(f"{code}.toml").read_text("utf-8"))
    return Wording(
        code=code,
        words={k: str(v) for k, v in table.items()},
        names=wording(code).names,
    )


def english_name(code: str) -> str:
    """The language's English name (for a prompt), else its code."""
    return wording(DEFAULT_LANGUAGE).names.get(code, code)


@cache
def all_labels() -> tuple[str, ...]:
    """Every table's label words, case-folded: what a line of ticketbot's own starts with."""
    found = {
        wording(code).words[key].casefold() for code in TEMPLATE_LANGUAGES for key in LABEL_KEYS
    }
    return tuple(sorted(found, key=len, reverse=True))


# The note's section titles: a line of untrusted text starting like one is quoted too.
SECTION_KEYS = ("fields_filled", "articles", "draft", "routing", "translation")


# The note's lines that open with fixed words before a value (the risk's level, the route's
# escalation, a raised priority, the spam gate's verdict): untrusted text starting so is quoted.
OPENER_KEYS = (
    "risk_head", "escalated", "priority_raised", "spam_applied", "spam_suggested", "spam_lifted",
)  # fmt: skip


@cache
def line_openers() -> tuple[str, ...]:
    """Every table's fixed openings of the note's value lines (the words before the first
    placeholder), case-folded, without a trailing colon."""
    found = {
        wording(code).words[key].split("{", 1)[0].casefold().strip().rstrip(" :")
        for code in TEMPLATE_LANGUAGES
        for key in OPENER_KEYS
    }
    return tuple(sorted((f for f in found if f), key=len, reverse=True))


@cache
def section_titles() -> tuple[str, ...]:
    """Every table's section titles, case-folded, without their colon."""
    found = {
        wording(code).words[key].casefold().rstrip(" :")
        for code in TEMPLATE_LANGUAGES
        for key in SECTION_KEYS
    }
    return tuple(sorted(found, key=len, reverse=True))


# The risk's reasons (``risk.rules``, ``risk.head``) as the English table says them: a reason
# is written in English where it is scored, and put in the note's language where it is said.
RISK_REASON_KEYS = (
    "risk_negative", "risk_positive", "risk_urgency", "risk_worse", "risk_contacts",
    "risk_waiting", "risk_trend", "risk_words",
)  # fmt: skip


# The spam gate's reasons (``spam.gate``), said again the same way.
SPAM_REASON_KEYS = (
    "spam_model",
    "spam_helpdesk",
    "spam_machine",
    "spam_llm",
    "spam_forwarded",
    "spam_known",
)
# A placeholder whose value is a number: matched as one, so a value before it may hold spaces
# (``learned model: auto sender 0.93``).
_NUMBERS = ("probability",)


@cache
def _english_patterns(keys: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each key's English sentence as a pattern, its ``{placeholders}`` as named groups."""
    english = wording(DEFAULT_LANGUAGE).words

    def group(name: str | None) -> str:
        if not name:
            return ""
        return f"(?P<{name}>[0-9.]+)" if name in _NUMBERS else f"(?P<{name}>.+?)"

    found = []
    for key in keys:
        pattern = "".join(
            re.escape(literal) + group(name)
            for literal, name, _, _ in string.Formatter().parse(english[key])
        )
        found.append((key, re.compile(pattern + r"\Z")))
    return tuple(found)


def say_again(
    text: str,
    words: Wording,
    keys: tuple[str, ...] = RISK_REASON_KEYS,
    recast: Callable[[str, str], str] | None = None,
) -> str:
    """``text``, an English sentence of one of ``keys``, in ``words``' language with the same
    values (each through ``recast(name, value)`` when given: a value that is itself a word);
    a sentence none of them says is left as it is."""
    for key, pattern in _english_patterns(keys):
        match = pattern.match(text)
        if match is not None:
            values = match.groupdict()
            if recast is not None:
                values = {name: recast(name, value) for name, value in values.items()}
            return words.say(key, **values)
    return text
