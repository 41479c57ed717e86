"""The taxonomy file: the shipped one parses, and mistakes in a user's copy are named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.errors import ConfigError
from ticket_processor.triage.cues import compile_cue
from ticket_processor.triage.taxonomy import MAX_WEIGHT, load_taxonomy, parse_taxonomy

MINIMAL = """
[categories.bug]
description = "Broken things."
keywords = ["crash*", "Error"]
phrases = ["Not  working"]
negations = ["not a bug"]

[categories.bug.weights]
"crash*" = 3

[categories.other]
description = "Everything else."
"""


def test_default_taxonomy_has_the_documented_categories() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.names == (
        "bug",
        "feature_request",
        "billing",
        "refund",
        "account",
        "shipping",
        "how_to",
        "security",
        "other",
    )
    assert taxonomy.fallback_category == "other"
    assert all(category.description for category in taxonomy.categories)
    assert all(category.keywords for category in taxonomy.categories)
    assert taxonomy.validate_category("refund") == "refund"
    with pytest.raises(ValueError, match="unknown category"):
        taxonomy.validate_category("warranty")


def test_cues_are_normalised_and_weights_resolved() -> None:
    taxonomy = parse_taxonomy(MINIMAL)
    bug = taxonomy.categories[0]
    assert bug.keywords == ("crash*", "error")
    assert bug.phrases == ("not working",)
    assert bug.cue_weights() == {"crash*": 3.0, "error": 1.0, "not working": 2.0, "not a bug": -2.0}


def test_load_from_file_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    path.write_text(MINIMAL, "utf-8")
    assert load_taxonomy(path).names == ("bug", "other")
    with pytest.raises(ConfigError, match="TICKETBOT_TAXONOMY: cannot read"):
        load_taxonomy(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[categories", "not valid TOML"),
        ("fallback_category = 'other'", "needs at least one"),
        ("[categories.bug]\ndescription = 'x'\n", "fallback_category 'other' is not a category"),
        ("[categories.Bug]\ndescription = 'x'", "categories.Bug"),
        ("[categories.other]\n", "categories.other.description: Field required"),
        ("[categories.other]\ndescription = 'x'\nkeyword = ['a']", "categories.other.keyword"),
        (
            "[categories.other]\ndescription = 'x'\nkeywords = ['a']\n"
            "[categories.other.weights]\nb = 2",
            "weights names 'b'",
        ),
        (
            f"[categories.other]\ndescription = 'x'\nkeywords = ['a']\n"
            f"[categories.other.weights]\na = {MAX_WEIGHT + 1}",
            "categories.other.weights.a",
        ),
        ("[categories.other]\ndescription = 'x'\nphrases = ['* order']", "bad cue"),
        ("[categories.other]\ndescription = 'x'\n[urgency]\ndefault = 'soon'", "urgency.default"),
        (
            "[categories.other]\ndescription = 'x'\n[urgency.category_bias]\nbug = { high = 1 }",
            "'bug' is not a category",
        ),
    ],
)
def test_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_taxonomy(text, source="my.toml")
    assert str(caught.value).startswith("my.toml: ")


def test_no_urgency_cue_is_listed_under_two_levels() -> None:
    # A cue under two levels would add to both and decide nothing; moving a cue from one level
    # to another must remove it from the first.
    seen: dict[tuple[object, ...], str] = {}
    for level, cues in load_taxonomy().urgency.levels().items():
        for cue in cues.cue_weights():
            key = compile_cue(cue)
            assert seen.setdefault(key, level.value) == level.value, cue
