"""The uncovered topics' taxonomy fragment loads with the taxonomy it is added to."""

from __future__ import annotations

import tomllib

from ticket_processor.topics.fragment import UncoveredTopic, fragment
from ticket_processor.triage.taxonomy import default_taxonomy_text, parse_taxonomy


def test_the_fragment_appended_to_the_taxonomy_loads_with_new_names() -> None:
    taxonomy = parse_taxonomy(default_taxonomy_text())
    topics = [
        UncoveredTopic(
            ["coupon", "code", "discount"], 14, 'Coupon "SAVE10" rejected', "other", 0.9
        ),
        UncoveredTopic(["coupon", "code", "discount"], 5, "Coupon again", "other", 0.7),
        UncoveredTopic(["wallet", "apple", "pay"], 9, "Apple Pay\nfails", "billing", 0.8),
        UncoveredTopic(["bug", "crash", "app"], 3, "", "other", 0.5),
        UncoveredTopic(
            ["über", "größe", "42"], 3, "x", "other", 0.2
        ),  # accents dropped from the name
    ]
    text = fragment(topics, taxonomy)
    tomllib.loads(text)
    combined = parse_taxonomy(default_taxonomy_text() + "\n" + text)
    added = set(combined.names) - set(taxonomy.names)
    assert "coupon_code_discount" in added
    assert "coupon_code_discount_2" in added
    assert "bug_crash_app" in added
    billing = next(c for c in combined.categories if c.name == "billing")
    assert "wallet_apple_pay" in billing.subcategory_names
    new = next(c for c in combined.categories if c.name == "coupon_code_discount")
    assert new.keywords[:2] == ("coupon", "code")
    assert "14 found" in new.description
    assert len(added) == 4  # and one subcategory
