"""The uncovered topics as a taxonomy fragment: tables a person edits and adds to their taxonomy.

A topic most of whose tickets fall under one existing category (``SUB_SHARE``) becomes a
subcategory of it (``[categories.billing.sub.NAME]``); any other becomes a category
(``[categories.NAME]``). Each gets a description the LLM can read (the topic's words and an
example subject, for the person to rewrite) and keywords from its distinctive words, so the
keyword rules and the learned model's training know it too. The names follow the taxonomy's
rules and never repeat one it has. The text parses as TOML, and the taxonomy it is appended to
loads in ``eval --taxonomy`` as it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..models import CATEGORY_NAME, SUBCATEGORY_NAME
from ..triage.taxonomy import Taxonomy

SUB_SHARE = 0.5
_KEYWORDS = 6


@dataclass(frozen=True)
class UncoveredTopic:
    cues: Sequence[str]  # distinctive words, best first
    size: int
    example: str  # one subject or first line
    category: str  # the existing category most of it falls under
    category_share: float
    label: str | None = None  # a name the LLM gave, preferred to the words for the table's name


def fragment(topics: Iterable[UncoveredTopic], taxonomy: Taxonomy) -> str:
    taken = set(taxonomy.names) | {s for c in taxonomy.categories for s in c.subcategory_names}
    lines = [
        "# Topics `ticketbot discover` found that this taxonomy does not cover yet.",
        "# Rename them, rewrite each description (the LLM reads it), prune the keywords,",
        "# then append these tables to your taxonomy file and check it with",
        "#   ticketbot eval YOUR_LABELLED.jsonl --taxonomy YOUR_TAXONOMY.toml",
    ]
    for topic in topics:
        as_sub = (
            topic.category != taxonomy.fallback_category
            and topic.category in taxonomy.names
            and topic.category_share >= SUB_SHARE
        )
        pattern = SUBCATEGORY_NAME if as_sub else CATEGORY_NAME
        words_for_name = topic.label.split() if topic.label else topic.cues
        name = _unique(_name(words_for_name, limit=40 if not as_sub else 60), taken, pattern)
        taken.add(name)
        table = f"categories.{topic.category}.sub.{name}" if as_sub else f"categories.{name}"
        words = ", ".join(topic.cues[:4]) or "no distinctive words"
        description = (
            f"Tickets about {words} ({topic.size} found; e.g. “{topic.example[:120]}”)."
        )[:480]
        keywords = [w for w in topic.cues[:_KEYWORDS] if re.fullmatch(r"[^\s*]+", w)]
        lines += [
            "",
            f"[{table}]",
            f"description = {_toml_string(description)}",
            f"keywords = [{', '.join(_toml_string(k) for k in keywords)}]",
        ]
    return "\n".join(lines) + "\n"


def _name(cues: Sequence[str], *, limit: int) -> str:
    ascii_words = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in cues[:3]]
    joined = "_".join(w for w in ascii_words if w)
    if not joined or not joined[0].isalpha():
        joined = f"topic_{joined}".rstrip("_")
    return joined[: limit - 4].rstrip("_")


def _unique(name: str, taken: set[str], pattern: re.Pattern[str]) -> str:
    """``name``, or ``name_2``, ``name_3`` … when the taxonomy (or an earlier topic) has it."""
    if not pattern.match(name):
        name = "topic"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string (same escapes), control characters included.
    return json.dumps(text, ensure_ascii=False)
