"""The answers policy: which mode each category answers in, at which threshold, and the ladder.

``answers.toml`` (``TICKETBOT_ANSWERS``), owned by a support lead, checked by ``ticketbot
answers check``::

    threshold = 0.9          # calibrated probability an answer needs (default DEFAULT_THRESHOLD)
    solve_on_thanks = true   # a customer's thank-you solves the ticket (false: agents do)
    chooser = "calibration"  # or "gate": both rankings and the gate of ``answers.gate``

    [ladder]                 # the ``auto`` mode: draft first, send once the drafts are accepted
    drafts = 20              # N: drafts (or sent answers) a rate is measured over
    target = 0.6             # acceptance over N drafts a category needs to be promoted
    reopen_limit = 0.25      # re-open rate over N sent answers that demotes it again

    [categories.how_to]      # a category (or "category/subcategory")
    mode = "send"            # off | draft | send | auto
    threshold = 0.95

The global mode is ``TICKETBOT_ANSWER_MODE`` (default ``off``); a category's entry overrides it,
a subcategory's entry overrides its category's. Pure: the text in, a value or ``ConfigError``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from .vocab import MODES, AnswerMode

# Chosen for precision: on the repository's labelled set (python -m scripts.figures answers_figures)
# no wrong article is sent at this calibrated probability.
DEFAULT_THRESHOLD = 0.9
DEFAULT_DRAFTS = 20
DEFAULT_TARGET = 0.6
DEFAULT_REOPEN_LIMIT = 0.25
_TOP = {"threshold", "solve_on_thanks", "ladder", "categories", "chooser"}
# What picks the article and its probability: the index's score through the calibration fitted
# on the project's own set, or the gate fitted on several help centres (``answers.gate``).
CHOOSERS = ("calibration", "gate")
_LADDER = {"drafts", "target", "reopen_limit"}
_CATEGORY = {"mode", "threshold"}


@dataclass(frozen=True)
class CategoryRule:
    mode: AnswerMode | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Ladder:
    drafts: int = DEFAULT_DRAFTS
    target: float = DEFAULT_TARGET
    reopen_limit: float = DEFAULT_REOPEN_LIMIT


@dataclass(frozen=True)
class AnswersPolicy:
    mode: AnswerMode = "off"
    threshold: float = DEFAULT_THRESHOLD
    solve_on_thanks: bool = True
    ladder: Ladder = Ladder()
    rules: Mapping[str, CategoryRule] = field(default_factory=dict)
    chooser: str = "calibration"

    @property
    def enabled(self) -> bool:
        """Whether any ticket can be answered or drafted at all."""
        return self.mode != "off" or any(r.mode not in (None, "off") for r in self.rules.values())

    def _rule(self, category: str, subcategory: str | None) -> tuple[CategoryRule, CategoryRule]:
        own = self.rules.get(category, CategoryRule())
        sub = self.rules.get(f"{category}/{subcategory}", CategoryRule()) if subcategory else None
        return own, sub or CategoryRule()

    def mode_for(self, category: str, subcategory: str | None = None) -> AnswerMode:
        own, sub = self._rule(category, subcategory)
        return sub.mode or own.mode or self.mode

    def threshold_for(self, category: str, subcategory: str | None = None) -> float:
        own, sub = self._rule(category, subcategory)
        found = sub.threshold if sub.threshold is not None else own.threshold
        return self.threshold if found is None else found


def _probability(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ConfigError(f"answers file: {where} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _mode(value: object, where: str) -> AnswerMode:
    if value not in MODES:
        raise ConfigError(f"answers file: {where} must be one of {', '.join(MODES)}, not {value!r}")
    return value


def _unknown(found: Collection[str], allowed: set[str], where: str) -> None:
    extra = sorted(set(found) - allowed)
    if extra:
        raise ConfigError(
            f"answers file: unknown key {extra[0]!r} in {where}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def parse_policy(
    text: str,
    *,
    mode: AnswerMode = "off",
    categories: Collection[str] | None = None,
    subcategories: Collection[str] | None = None,
) -> AnswersPolicy:
    """The policy in ``text`` over the global ``mode``; ``categories`` / ``subcategories`` (the
    taxonomy's names) check the category entries."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"answers file is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError("answers file is nested too deeply to be an answers file") from None
    _unknown(data, _TOP, "the top level")
    threshold = _probability(data.get("threshold", DEFAULT_THRESHOLD), "threshold")
    chooser = data.get("chooser", "calibration")
    if chooser not in CHOOSERS:
        raise ConfigError(
            f"answers file: chooser must be one of {', '.join(CHOOSERS)}, not {chooser!r}"
        )
    solve = data.get("solve_on_thanks", True)
    if not isinstance(solve, bool):
        raise ConfigError("answers file: solve_on_thanks must be true or false")
    raw_ladder = data.get("ladder", {})
    if not isinstance(raw_ladder, dict):
        raise ConfigError("answers file: [ladder] must be a table")
    _unknown(raw_ladder, _LADDER, "[ladder]")
    drafts = raw_ladder.get("drafts", DEFAULT_DRAFTS)
    if isinstance(drafts, bool) or not isinstance(drafts, int) or not 1 <= drafts <= 10_000:
        raise ConfigError(
            f"answers file: ladder.drafts must be a whole number from 1, not {drafts!r}"
        )
    ladder = Ladder(
        drafts=drafts,
        target=_probability(raw_ladder.get("target", DEFAULT_TARGET), "ladder.target"),
        reopen_limit=_probability(
            raw_ladder.get("reopen_limit", DEFAULT_REOPEN_LIMIT), "ladder.reopen_limit"
        ),
    )
    raw_rules = data.get("categories", {})
    if not isinstance(raw_rules, dict):
        raise ConfigError("answers file: [categories] must be a table of categories")
    rules: dict[str, CategoryRule] = {}
    for name, raw in raw_rules.items():
        where = f"categories.{name}"
        if not isinstance(raw, dict):
            raise ConfigError(f"answers file: {where} must be a table (mode, threshold)")
        _unknown(raw, _CATEGORY, where)
        category, _, sub = name.partition("/")
        if categories is not None and category not in categories:
            raise ConfigError(
                f"answers file: {where}: {category!r} is not a category of the taxonomy"
            )
        if sub and subcategories is not None and sub not in subcategories:
            raise ConfigError(
                f"answers file: {where}: {sub!r} is not a subcategory of the taxonomy"
            )
        rules[name] = CategoryRule(
            mode=_mode(raw["mode"], f"{where}.mode") if "mode" in raw else None,
            threshold=(
                _probability(raw["threshold"], f"{where}.threshold") if "threshold" in raw else None
            ),
        )
    return AnswersPolicy(
        mode=mode,
        threshold=threshold,
        solve_on_thanks=solve,
        ladder=ladder,
        rules=rules,
        chooser=chooser,
    )
