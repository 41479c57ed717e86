"""answers.toml: modes per category and subcategory over the global mode, thresholds, the
ladder, and a clear error for each mistake."""

from __future__ import annotations

import pytest

from ticket_processor.answers.policy import DEFAULT_THRESHOLD, parse_policy
from ticket_processor.errors import ConfigError

CATEGORIES = ("billing", "how_to", "bug")


def test_category_and_subcategory_rules_override_the_global_mode() -> None:
    policy = parse_policy(
        """
        threshold = 0.8
        solve_on_thanks = false
        [ladder]
        drafts = 5
        [categories.billing]
        mode = "draft"
        threshold = 0.97
        [categories."billing/refund"]
        mode = "off"
        [categories.how_to]
        mode = "auto"
        """,
        mode="send",
        categories=CATEGORIES,
        subcategories=("refund",),
    )
    assert policy.mode_for("bug") == "send"
    assert policy.mode_for("billing") == "draft"
    assert policy.mode_for("billing", "refund") == "off"
    assert policy.mode_for("how_to") == "auto"
    assert policy.threshold_for("billing", "refund") == 0.97
    assert policy.threshold_for("bug") == 0.8
    assert policy.ladder.drafts == 5
    assert not policy.solve_on_thanks


def test_an_empty_file_is_the_global_mode_and_the_defaults() -> None:
    policy = parse_policy("", mode="off")
    assert not policy.enabled
    assert policy.threshold == DEFAULT_THRESHOLD
    assert parse_policy('[categories.bug]\nmode = "draft"', mode="off").enabled


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("mode = ", "not valid TOML"),
        ("colour = 1", "unknown key 'colour'"),
        ("threshold = 2", "threshold must be a number from 0 to 1"),
        ('[categories.nope]\nmode = "send"', "'nope' is not a category"),
        ('[categories.bug]\nmode = "loud"', "must be one of off, draft, send, auto"),
        ('[categories.bug]\ncolour = "red"', "unknown key 'colour' in categories.bug"),
        ("[ladder]\ndrafts = 0", "ladder.drafts"),
        ("solve_on_thanks = 1", "solve_on_thanks must be true or false"),
    ],
)
def test_each_mistake_is_named(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_policy(text, categories=CATEGORIES)
