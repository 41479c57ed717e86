"""Entities into the helpdesk's own fields (``TICKETBOT_FIELDS``): parse, resolve, extract.

The file a support lead edits (``fields.toml``)::

    [[field]]
    name = "Order number"          # the field's title (or id; Freshdesk: its cf_ name)
    pattern = 'ORD-\\d{6}'          # a text field: the first whole match of the pattern

    [[field]]
    name = "Product"               # a drop-down: the option the ticket names, by the option's
    synonyms = { product_mobile_app = ["iphone app", "android app"] }   # name, value or synonyms

``parse_fields`` checks the shape; ``resolve_fields`` matches each entry to a field the helpdesk
has (``Helpdesk.ticket_fields``) and refuses an unknown field or option naming the ones that
exist (``fields check``); a run uses ``resolve_each``, which sets such an entry aside as stale
(an admin renamed or removed the field or option since the file was written) and keeps the
rest, as the run leaves a route whose group is gone; ``extract`` decides, per ticket, what to
fill. Extraction runs here, on the ticket's own text before redaction (so nothing extra leaves
the machine and no LLM is needed), and writes only what a rule allows: a pattern's match, or one
of the field's options. A field that already holds a value (an agent's, or an earlier run's) is
never overwritten. Pure, no I/O.

Ticket text is untrusted and any customer can send it; the pattern is the admin's. A pattern
run by a backtracking engine (Python's ``re``) can take exponential time on text built for it
(``(a|aa)+$`` on sixty a's and a ``!``: days), holding the interpreter so that neither
``--max-runtime`` nor SIGTERM can end the run. So patterns are compiled by RE2 (``google-re2``),
whose matching time is linear in the text whatever the pattern, and searched in the first
``SEARCHED_CHARS`` characters only. What RE2 cannot do in linear time (look-around,
back-references) it refuses to compile: such a pattern is refused when the file is read, by
``fields check`` and by every run, saying why. RE2 reads ``\\d``, ``\\w``, ``\\s`` and ``\\b`` as
ASCII (Python: any script); the whole-match edges below are Unicode as before. RE2 is imported
when a pattern is first compiled, so a run without a fields file does not load it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..models import HelpdeskField

FIELD_KEYS = frozenset({"name", "pattern", "synonyms"})
SEARCHED_CHARS = 20_000
_WORDS = re.compile(r"[^\w]+")
# Python's \w (a letter or digit of any script, or _), which RE2's \w (ASCII) is not.
_WORD_CHAR = r"\p{L}\p{N}_"
_WHY_REFUSED = (
    # (what RE2's refusal contains, what the admin is told)
    (("(?x",), "verbose mode (?x) is not supported: write it without spaces and comments"),
    (
        ("perl operator", "escape sequence: \\1", "escape sequence: \\2", "repetition operator"),
        "look-around ((?=, (?!, (?<=, (?<!), back-references (\\1, (?P=name)), possessive"
        " (a++) and atomic groups need a backtracking matcher, which a ticket's text can keep"
        " busy for days; rewrite it"
        " without them",
    ),
    (("\\Z",), "write \\z for the end of the text"),
    (("repetition size",), "a count ({n,m}) is at most 1000, nested counts multiplied together"),
    (("too large",), "make it smaller"),
)


def _refusal(pattern: str, reason: str) -> str:
    try:
        re.compile(pattern)
    except re.error as python_says:
        return f"not a regular expression: {python_says}"
    advice = next((say for marks, say in _WHY_REFUSED if any(m in reason for m in marks)), "")
    return (
        f"RE2, which runs patterns in time linear in the ticket's text, refuses it ({reason})"
        + (f": {advice}" if advice else "")
    )


@dataclass(frozen=True)
class WholeMatch:
    """A field's pattern as RE2 runs it: the first match that is a whole token (not preceded by
    a word character or ``-``, not followed by a word character)."""

    text: str  # as the file gives it
    regexp: Any  # re2._Regexp: google-re2 ships no type information

    @classmethod
    def compile(cls, pattern: str) -> WholeMatch:
        """``ValueError`` saying why when the pattern is not one RE2 can run."""
        import re2  # here, not at the top: only a fields file's patterns need it

        options = re2.Options()
        options.log_errors = False  # RE2 would print every refusal to stderr
        # Group 1 is the pattern; the edges are consumed, not looked around, for RE2.
        edged = rf"(?:^|[^{_WORD_CHAR}-])({pattern})(?:[^{_WORD_CHAR}]|$)"
        try:
            re2.compile(pattern, options)  # alone first: a stray ")" must not leave the group
            regexp = re2.compile(edged, options)
        except re2.error as exc:
            said = exc.args[0] if exc.args else ""
            reason = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
            raise ValueError(_refusal(pattern, reason)) from None
        return cls(pattern, regexp)

    def first(self, text: str) -> str | None:
        found = self.regexp.search(text)
        return None if found is None else str(found.group(1))


@dataclass(frozen=True)
class FieldRule:
    """One ``[[field]]`` of the file, before it meets the helpdesk."""

    name: str
    pattern: WholeMatch | None = None
    synonyms: Mapping[str, tuple[str, ...]] | None = None

    @property
    def label(self) -> str:
        return f'field "{self.name}"'


@dataclass(frozen=True)
class ResolvedField:
    """A rule with the helpdesk's field it fills: ``key`` is what ``custom_fields`` is keyed by;
    ``terms`` (drop-downs) maps each option's written value to the phrases that name it."""

    rule: FieldRule
    field: HelpdeskField
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def key(self) -> str:
        return self.field.key


def _fail(label: str, message: str) -> ConfigError:
    return ConfigError(f"fields file: {label}: {message}")


def parse_fields(text: str) -> tuple[FieldRule, ...]:
    """The rules of a ``fields.toml``; every error names the entry and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"fields file is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError("fields file is nested too deeply to be a fields file") from None
    extra = sorted(set(data) - {"field"})
    if extra:
        raise ConfigError(f"fields file: unknown top-level key {extra[0]!r}; use [[field]] tables")
    raw = data.get("field", [])
    if not isinstance(raw, list):
        raise ConfigError("fields file: 'field' must be an array of tables ([[field]])")
    rules = tuple(_rule(i, item) for i, item in enumerate(raw, start=1))
    names = [r.name.casefold() for r in rules]
    twice = sorted({r.name for r in rules if names.count(r.name.casefold()) > 1})
    if twice:
        raise ConfigError(f'fields file: field "{twice[0]}" is listed twice')
    return rules


def _rule(index: int, raw: object) -> FieldRule:
    if not isinstance(raw, dict):
        raise _fail(f"field #{index}", "must be a table ([[field]])")
    name = raw.get("name")
    if isinstance(name, int) and not isinstance(name, bool):
        name = str(name)
    if not isinstance(name, str) or not name.strip():
        raise _fail(f"field #{index}", "name: give the field's title (or id) as a string")
    label = f'field "{name.strip()}"'
    unknown = sorted(set(raw) - FIELD_KEYS)
    if unknown:
        raise _fail(
            label, f"{unknown[0]}: unknown key; the keys are {', '.join(sorted(FIELD_KEYS))}"
        )
    has_pattern, has_synonyms = "pattern" in raw, "synonyms" in raw
    if has_pattern == has_synonyms:
        raise _fail(label, "give either pattern (a text field) or synonyms (a drop-down)")
    if has_pattern:
        pattern = raw["pattern"]
        if not isinstance(pattern, str) or not pattern:
            raise _fail(label, "pattern: must be a regular expression in a string")
        try:
            # Whole matches only: ORD-\d{6} must not take the first six digits of ORD-1234567.
            compiled = WholeMatch.compile(pattern)
        except ValueError as exc:
            raise _fail(label, f"pattern: {exc}") from None
        return FieldRule(name.strip(), pattern=compiled)
    synonyms = raw["synonyms"]
    if not isinstance(synonyms, dict):
        raise _fail(label, 'synonyms: must be a table such as { option = ["phrase", ...] }')
    cleaned: dict[str, tuple[str, ...]] = {}
    for option, phrases in synonyms.items():
        items = phrases if isinstance(phrases, list) else [phrases]
        if not all(isinstance(p, str) and _normal(p) for p in items):
            raise _fail(label, f"synonyms.{option}: must be a list of non-empty phrases")
        cleaned[str(option)] = tuple(_normal(p) for p in items)
    return FieldRule(name.strip(), synonyms=cleaned)


def _normal(text: str) -> str:
    """Lower case, words only, single spaces: the form names and ticket text are matched in."""
    return " ".join(_WORDS.sub(" ", text.casefold().replace("_", " ")).split())


@dataclass(frozen=True)
class StaleField:
    """An entry the helpdesk no longer matches (a field or option renamed or removed by an
    admin): a run leaves that field alone and fills the others (``resolve_each``)."""

    name: str  # the entry's ``name``, as the file gives it
    message: str  # what is wrong and what the helpdesk has


def resolve_fields(
    rules: Sequence[FieldRule], fields: Sequence[HelpdeskField]
) -> tuple[ResolvedField, ...]:
    """Each rule with the helpdesk field it names (by title, case-insensitive, or by key);
    ``ConfigError`` for a field or option the helpdesk does not have, naming those it has."""
    resolved, stale = resolve_each(rules, fields)
    if stale:
        raise ConfigError(stale[0].message)
    return resolved


def resolve_each(
    rules: Sequence[FieldRule], fields: Sequence[HelpdeskField]
) -> tuple[tuple[ResolvedField, ...], tuple[StaleField, ...]]:
    """The rules that resolve, and one ``StaleField`` for each that does not: a file that was
    right when written goes stale when an admin edits the helpdesk, and one entry must not stop
    the others (as a route whose group is gone: ``routing``)."""
    resolved = []
    stale = []
    for rule in rules:
        try:
            resolved.append(_resolve(rule, fields))
        except ConfigError as exc:
            stale.append(StaleField(rule.name, str(exc)))
    return tuple(resolved), tuple(stale)


def _resolve(rule: FieldRule, fields: Sequence[HelpdeskField]) -> ResolvedField:
    wanted = rule.name.casefold()
    matches = [f for f in fields if wanted in (f.key.casefold(), f.title.casefold())]
    if not matches:
        have = ", ".join(f'"{f.title}" ({f.key})' for f in fields) or "none"
        raise _fail(rule.label, f"the helpdesk has no such field; its custom fields: {have}")
    if len(matches) > 1:
        raise _fail(rule.label, "two fields have that title: name it by its id")
    field = matches[0]
    if rule.pattern is not None:
        if field.kind != "text":
            raise _fail(rule.label, f"is a {field.kind} field: a pattern fills a text field")
        return ResolvedField(rule, field)
    if field.kind != "dropdown":
        raise _fail(rule.label, f"is a {field.kind} field: synonyms choose a drop-down option")
    return ResolvedField(rule, field, _terms(rule, field))


def _terms(rule: FieldRule, field: HelpdeskField) -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_name = {}
    for option in field.options:
        by_name[option.name.casefold()] = option
        by_name[option.value.casefold()] = option
    extra: dict[str, list[str]] = {}
    for key, phrases in (rule.synonyms or {}).items():
        named = by_name.get(key.casefold())
        if named is None:
            have = ", ".join(f'"{o.name}" ({o.value})' for o in field.options)
            raise _fail(rule.label, f"synonyms.{key}: no such option; the options: {have}")
        extra.setdefault(named.value, []).extend(phrases)
    terms = []
    for option in field.options:
        names = [_normal(option.name), _normal(option.value), *extra.get(option.value, ())]
        terms.append((option.value, tuple(dict.fromkeys(n for n in names if n))))
    return tuple(terms)


def extract(
    fields: Sequence[ResolvedField],
    subject: str,
    body: str,
    current: Mapping[str, object],
) -> dict[str, str]:
    """``{key: value}`` to fill on one ticket: the first whole match of a pattern, the option
    the text names first (the longer name where two start together); nothing where the text
    names none, and nothing in a field that already holds a value."""
    text = f"{subject}\n{body}"[:SEARCHED_CHARS]
    words = f" {_normal(text)} "
    filled: dict[str, str] = {}
    for resolved in fields:
        if current.get(resolved.key) not in (None, "", [], False):
            continue  # an agent's value (or an earlier run's) stands
        if resolved.rule.pattern is not None:
            found = resolved.rule.pattern.first(text)
            if found is not None:
                filled[resolved.key] = found
            continue
        best: tuple[int, int, str] | None = None
        for value, names in resolved.terms:
            for name in names:
                at = words.find(f" {name} ")
                if at >= 0 and (best is None or (at, -len(name)) < best[:2]):
                    best = (at, -len(name), value)
        if best is not None:
            filled[resolved.key] = best[2]
    return filled
