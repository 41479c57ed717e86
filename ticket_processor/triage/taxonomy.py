"""The taxonomy: the categories ticketbot may assign, from a user-editable TOML file.

The LLM prompt quotes each category's description, the JSON schema limits the model to these
names, and the keyword rules (``rules.py``) read everything they know from here: per category
keywords, phrases, weights and negations, plus the cue tables for urgency and sentiment. Pure:
parsing and validation only, no I/O beyond reading the file it is given.

Cue syntax (keywords and phrases alike): lower-case words separated by spaces; a word ending in
``*`` matches any word starting with it (``refund*`` matches refunds, refunded); a lone ``*``
matches any one word (``cancel * order``). A keyword is a one-word phrase; the two lists exist so
the file reads naturally and get different default weights.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..common.atomic import read_config_bytes
from ..errors import ConfigError, StateFileRefused, plain_message
from ..models import CATEGORY_NAME, SUBCATEGORY_NAME, Urgency

# A single cue may not weigh more than this: ticket text is untrusted, and one word (say, an
# injected "refund") must never outweigh the rest of the ticket on its own.
MAX_WEIGHT = 5.0

_CUE_WORD = re.compile(r"^(\*|[^\s*]+\*?)$")

Weight = Annotated[float, Field(ge=-MAX_WEIGHT, le=MAX_WEIGHT)]


def normalise_cue(cue: str) -> str:
    """Lower-case, collapse spaces and curly apostrophes; the form the rules match against."""
    return " ".join(cue.replace("\u2019", "'").lower().split())


def _check_cues(values: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = []
    for raw in values:
        cue = normalise_cue(raw)
        if not cue:
            raise ValueError("empty cue")
        words = cue.split(" ")
        if words[0] == "*" or not all(_CUE_WORD.match(word) for word in words):
            raise ValueError(
                f"bad cue {raw!r}: use words, 'word*' for a prefix, '*' for any one word "
                "(not first)"
            )
        cleaned.append(cue)
    return tuple(dict.fromkeys(cleaned))


class CueSet(BaseModel):
    """What the rules look for: keywords, phrases, per-cue weights, and negating phrases.

    ``negations`` are phrases whose presence counts *against* this set (``not a bug``,
    ``non-refundable``), each with weight ``negation_weight`` unless ``weights`` says otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    weights: dict[str, Weight] = Field(default_factory=dict)
    negations: tuple[str, ...] = ()
    keyword_weight: Annotated[float, Field(ge=0, le=MAX_WEIGHT)] = 1.0
    phrase_weight: Annotated[float, Field(ge=0, le=MAX_WEIGHT)] = 2.0
    negation_weight: Annotated[float, Field(ge=0, le=MAX_WEIGHT)] = 2.0

    @field_validator("keywords", "phrases", "negations")
    @classmethod
    def _cues(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _check_cues(values)

    @field_validator("weights")
    @classmethod
    def _weight_keys(cls, weights: dict[str, float]) -> dict[str, float]:
        return {normalise_cue(key): value for key, value in weights.items()}

    @model_validator(mode="after")
    def _weights_name_cues(self) -> CueSet:
        known = set(self.keywords) | set(self.phrases) | set(self.negations)
        for key in self.weights:
            if key not in known:
                raise ValueError(
                    f"weights names {key!r}, which is not one of the keywords, phrases or "
                    "negations: add it there or fix the spelling"
                )
        return self

    def cue_weights(self) -> dict[str, float]:
        """Every cue with its effective weight; negations come out negative."""
        result: dict[str, float] = {}
        for cue in self.keywords:
            result[cue] = self.weights.get(cue, self.keyword_weight)
        for cue in self.phrases:
            result[cue] = self.weights.get(cue, self.phrase_weight)
        for cue in self.negations:
            result[cue] = -abs(self.weights.get(cue, self.negation_weight))
        return result


# A category's examples: real ticket texts, from which the examples engine learns the category
# when there is no LLM and no model learned for the taxonomy. Bounded: they are encoded at start.
Example = Annotated[str, Field(min_length=1, max_length=2000)]
MAX_EXAMPLES = 200


class Subcategory(CueSet):
    """One subcategory of a category: its name, the description the LLM sees, its cues, and
    ``examples`` (a few real ticket texts of it)."""

    name: Annotated[str, Field(pattern=SUBCATEGORY_NAME.pattern)]
    description: Annotated[str, Field(min_length=1, max_length=500)]
    examples: Annotated[tuple[Example, ...], Field(max_length=MAX_EXAMPLES)] = ()


class Category(CueSet):
    """One category: its name, the description the LLM sees, what the rules look for, and
    its subcategories (``[categories.NAME.sub.SUB]``), in the file's order; ``examples``: a
    few real ticket texts of it (its subcategories' count for it too)."""

    name: Annotated[str, Field(pattern=CATEGORY_NAME.pattern)]
    description: Annotated[str, Field(min_length=1, max_length=500)]
    examples: Annotated[tuple[Example, ...], Field(max_length=MAX_EXAMPLES)] = ()
    subcategories: tuple[Subcategory, ...] = ()

    @property
    def subcategory_names(self) -> tuple[str, ...]:
        return tuple(sub.name for sub in self.subcategories)


class UrgencyRules(BaseModel):
    """Urgency cues per level; ``default`` when no level reaches ``threshold``.

    ``category_bias`` nudges a level for tickets of a category (a bug report is seldom low).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: Urgency = Urgency.MEDIUM
    threshold: Annotated[float, Field(ge=0, le=100)] = 1.0
    critical: CueSet = CueSet()
    high: CueSet = CueSet()
    medium: CueSet = CueSet()
    low: CueSet = CueSet()
    category_bias: dict[str, dict[Urgency, Weight]] = Field(default_factory=dict)

    def levels(self) -> dict[Urgency, CueSet]:
        return {
            Urgency.CRITICAL: self.critical,
            Urgency.HIGH: self.high,
            Urgency.MEDIUM: self.medium,
            Urgency.LOW: self.low,
        }


class SentimentRules(BaseModel):
    """Sentiment lexicon: positive and negative cues, and the words that flip a cue after them.

    A cue within ``negation_window`` words after a negator (``not good``) counts for the other
    side at ``flip_factor`` of its weight. The side that leads by at least ``threshold`` wins;
    otherwise the ticket is neutral.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    positive: CueSet = CueSet()
    negative: CueSet = CueSet()
    negators: tuple[str, ...] = ()
    negation_window: Annotated[int, Field(ge=0, le=5)] = 3
    flip_factor: Annotated[float, Field(ge=0, le=1)] = 0.5
    threshold: Annotated[float, Field(ge=0, le=100)] = 1.0

    @field_validator("negators")
    @classmethod
    def _negators(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_cue(value) for value in values if normalise_cue(value))


class RulesSettings(BaseModel):
    """How the rules read a ticket, independent of the categories."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Subject words say what the ticket is about more reliably than the body's.
    subject_factor: Annotated[float, Field(ge=0, le=MAX_WEIGHT)] = 1.5
    # Only this many characters of the body are read: the intent is stated early, and a
    # megabyte of log output must not cost more than a normal ticket.
    max_chars: Annotated[int, Field(ge=100, le=1_000_000)] = 6000
    # A category needs at least this score to beat the fallback category.
    min_score: Annotated[float, Field(ge=0, le=100)] = 1.0
    # Words right after one of these phrases are ignored: "categorise as refund" and
    # "set priority urgent" are instructions in untrusted text, not evidence.
    ignore_after: tuple[str, ...] = ()
    ignore_window: Annotated[int, Field(ge=0, le=10)] = 4

    @field_validator("ignore_after")
    @classmethod
    def _ignore_after(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _check_cues(values)


class Taxonomy(BaseModel):
    """The ordered set of categories; the last resort is ``fallback_category``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    categories: tuple[Category, ...]
    fallback_category: str = "other"
    rules: RulesSettings = RulesSettings()
    urgency: UrgencyRules = UrgencyRules()
    sentiment: SentimentRules = SentimentRules()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(category.name for category in self.categories)

    @property
    def has_examples(self) -> bool:
        """Whether any category or subcategory lists examples (the examples engine's input)."""
        return any(
            category.examples or any(sub.examples for sub in category.subcategories)
            for category in self.categories
        )

    @property
    def has_subcategories(self) -> bool:
        return any(category.subcategories for category in self.categories)

    def subcategories_of(self, category: str) -> tuple[str, ...]:
        """The subcategory names of ``category`` (none for an unknown category)."""
        for entry in self.categories:
            if entry.name == category:
                return entry.subcategory_names
        return ()

    @property
    def subcategory_names(self) -> tuple[str, ...]:
        """Every subcategory name, each once, in the file's order."""
        return tuple(
            dict.fromkeys(sub for category in self.categories for sub in category.subcategory_names)
        )

    def validate_subcategory(self, category: str, subcategory: str | None) -> str | None:
        """``subcategory`` if it belongs to ``category`` (None stays None), else ValueError:
        a subcategory outside its parent is refused wherever an analysis is built."""
        if subcategory is None:
            return None
        allowed = self.subcategories_of(category)
        if subcategory not in allowed:
            expected = ", ".join(allowed) if allowed else "none (it has no subcategories)"
            raise ValueError(
                f"subcategory {subcategory!r} is not one of category {category!r}'s: {expected}"
            )
        return subcategory

    def validate_category(self, name: str) -> str:
        """Return ``name`` if it is a category of this taxonomy, else raise ValueError."""
        if name not in self.names:
            raise ValueError(f"unknown category {name!r}; expected one of {', '.join(self.names)}")
        return name


def default_taxonomy_text() -> str:
    return resources.files("ticket_processor").joinpath("default_taxonomy.toml").read_text("utf-8")


def parse_taxonomy(text: str, *, source: str = "taxonomy") -> Taxonomy:
    """Parse taxonomy TOML; errors name the file and the offending entry."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise ConfigError(
            f"{source}: nested too deeply to be a taxonomy: fix or replace it "
            "(default_taxonomy.toml in the package is an example)"
        ) from None
    table = document.get("categories")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{source}: needs at least one [categories.NAME] table")
    rest = {key: value for key, value in document.items() if key != "categories"}
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{source}: categories.{name}: must be a table with a description")
    categories = []
    for name, spec in table.items():
        subs = _subcategories(spec.get("sub", {}), source, f"categories.{name}.sub")
        fields = {key: value for key, value in spec.items() if key != "sub"}
        try:
            categories.append(Category(**{**fields, "name": name, "subcategories": subs}))
        except ValidationError as exc:
            raise ConfigError(_describe(exc, source, prefix=f"categories.{name}")) from None
    try:
        taxonomy = Taxonomy(categories=tuple(categories), **rest)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    if taxonomy.fallback_category not in taxonomy.names:
        raise ConfigError(
            f"{source}: fallback_category {taxonomy.fallback_category!r} is not a category"
        )
    for name in taxonomy.urgency.category_bias:
        if name not in taxonomy.names:
            raise ConfigError(f"{source}: urgency.category_bias: {name!r} is not a category")
    return taxonomy


def _subcategories(table: object, source: str, where: str) -> tuple[Subcategory, ...]:
    """The ``[categories.NAME.sub.SUB]`` tables of one category, validated like categories."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {where}: must be tables [{where}.NAME] with a description")
    subs = []
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{source}: {where}.{name}: must be a table with a description")
        try:
            subs.append(Subcategory(**{**spec, "name": name}))
        except ValidationError as exc:
            raise ConfigError(_describe(exc, source, prefix=f"{where}.{name}")) from None
    return tuple(subs)


def _describe(exc: ValidationError, source: str, prefix: str = "") -> str:
    """``source: where.in.file: what is wrong`` for the first error pydantic found."""
    first = exc.errors()[0]
    parts = [prefix] if prefix else []
    parts += [str(part) for part in first["loc"]]
    where = ".".join(part for part in parts if part)
    message = plain_message(str(first["msg"]))
    return f"{source}: {where}: {message}"


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at ``path`` (TICKETBOT_TAXONOMY), or the one ticketbot ships."""
    if path is None:
        return parse_taxonomy(default_taxonomy_text(), source="default taxonomy")
    try:
        text = read_config_bytes(path).decode("utf-8")
    except StateFileRefused as exc:
        raise ConfigError(
            f"TICKETBOT_TAXONOMY: {path}: {exc}; point it at a regular file or unset it"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"TICKETBOT_TAXONOMY: cannot read {path}: {exc.strerror}; fix the path or unset it"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"TICKETBOT_TAXONOMY: {path}: not UTF-8 text ({exc.reason})") from None
    return parse_taxonomy(text, source=str(path))
