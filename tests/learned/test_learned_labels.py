"""Labels from helpdesk tags and fields, unreviewed labels, and agents' corrections (pure)."""

from __future__ import annotations

import pytest

from ticket_processor.errors import ConfigError
from ticket_processor.learned.feedback import TriagePair, agreement
from ticket_processor.learned.labels import (
    LabelSpec,
    is_unreviewed,
    label_specs,
    labels_from_tags,
    parse_label_spec,
    written_labels,
)
from ticket_processor.models import Analysis, Priority, Sentiment, Triage, Urgency
from ticket_processor.tags import render_note, triage_tags


def _triage(category: str = "bug", urgency: Urgency = Urgency.HIGH) -> Triage:
    analysis = Analysis(
        category=category,
        urgency=urgency,
        sentiment=Sentiment.NEGATIVE,
        language="en",
        summary="App crashes",
        confidence=0.8,
    )
    return Triage(analysis=analysis, engine="learned")


def test_default_tags_give_labels() -> None:
    tags = ["vip", "ai_processed", "ai_category_bug", "ai_urgency_high", "ai_sentiment_negative"]
    assert labels_from_tags(tags, "ai_") == {
        "category": "bug",
        "urgency": "high",
        "sentiment": "negative",
    }
    assert labels_from_tags(tags, "tb_") == {}


def test_conflicting_or_unknown_values_give_no_label() -> None:
    tags = ["ai_category_bug", "ai_category_billing", "ai_urgency_whenever"]
    allowed = {"category": ["bug", "billing"], "urgency": ["high", "medium", "low"]}
    assert labels_from_tags(tags, "ai_", allowed=allowed) == {}


def test_custom_specs_read_other_tags_and_custom_fields() -> None:
    specs = label_specs("ai_", ["category=tag:team_cat_", "urgency=field:Severity"])
    assert specs["category"] == LabelSpec("category", "tag", "team_cat_")
    assert specs["sentiment"] == LabelSpec("sentiment", "tag", "ai_sentiment_")
    labels = labels_from_tags(
        ["team_cat_refund", "ai_category_bug", "ai_sentiment_neutral"],
        "ai_",
        specs,
        custom_fields={"Severity": "High"},
    )
    assert labels == {"category": "refund", "urgency": "high", "sentiment": "neutral"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("category", "FIELD=tag:PREFIX"),
        ("category=team_cat_", "FIELD=tag:PREFIX"),
        ("colour=tag:c_", "'colour' is not one of category, urgency, sentiment"),
        ("category=label:c_", "'label' is neither 'tag' nor 'field'"),
        ("category=tag:", "empty"),
        ("category=tag:Team Cat", "cannot start a helpdesk tag"),
    ],
)
def test_bad_label_specs_say_how(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_label_spec(text)
    assert needle in str(caught.value)
    assert text in str(caught.value)


def test_unreviewed_when_tags_are_what_ticketbot_wrote() -> None:
    triage = _triage()
    note = render_note(triage, priority=Priority.HIGH, run_id="r1")
    assert written_labels(note) == {"category": "bug", "urgency": "high", "sentiment": "negative"}
    tags = ["customer_tag", *triage_tags(triage, prefix="ai_", confidence_threshold=0.5)]
    assert is_unreviewed(tags, note)
    # An agent re-labelled the category: now it is a label.
    changed = [t for t in tags if t != "ai_category_bug"] + ["ai_category_how_to"]
    assert not is_unreviewed(changed, note)
    # An agent added a second urgency tag: changed too.
    assert not is_unreviewed([*tags, "ai_urgency_low"], note)
    # No ticketbot note: the tags are an agent's own.
    assert not is_unreviewed(tags, None)
    assert not is_unreviewed(tags, "Customer called, all fine.")


def test_agreement_counts_changes_and_common_corrections() -> None:
    pairs = [
        TriagePair({"category": "bug", "urgency": "high"}, {"category": "bug", "urgency": "low"}),
        TriagePair({"category": "bug", "urgency": "high"}, {"category": "how_to"}),
        TriagePair({"category": "bug"}, {"category": "how_to"}),
        TriagePair({"category": "bug"}, {"category": "billing"}),
        TriagePair({"category": "refund"}, {"category": "refund"}),
        TriagePair({}, {"category": "refund"}),
    ]
    stats = agreement(pairs)
    assert stats.tickets == 6
    category = stats.fields["category"]
    assert (category.compared, category.changed) == (5, 3)
    assert category.agreement == pytest.approx(0.4)
    assert category.most_common("bug") == [("how_to", 2), ("billing", 1)]
    assert category.most_common("refund") == []
    urgency = stats.fields["urgency"]
    assert (urgency.compared, urgency.changed) == (1, 1)
    assert agreement([]).fields["category"].agreement is None
