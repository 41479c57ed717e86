"""The screen's trainer fits each threshold on the texts a run's gate asks it for: a deadline
or a sum alone is a plain text's threshold (``SUGGESTS_ONLY_BESIDE``), both together the one
with lures, and a text the gate decides without the screen is in neither
(``scripts/train_spam.py`` ``screen_group`` asks ``gate.head_needed`` itself; it used to
restate the rule, and put a deadline alone with the lures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

LETTER = (
    "Dear customer,\n\nWe have reviewed your account and the attached statement for the last "
    "quarter. Our records show the following items that need your attention. Regards,\nThe "
    "accounts team"
)


def _trainer(name: str) -> object:
    from scripts import train_spam as train

    return getattr(train, name)


@pytest.fixture(scope="module")
def screen_group() -> object:
    return _trainer("screen_group")


@pytest.mark.parametrize(
    ("extra", "group"),
    [
        ("", False),
        ("\nPlease reply within 24 hours, this is urgent.", False),
        ("\nThe total due is $1,249.00 USD.", False),
        ("\nThe total due is $1,249.00 USD. Please reply within 24 hours.", True),
    ],
    ids=["plain", "deadline alone", "a sum", "a sum and a deadline"],
)
def test_the_trainer_groups_a_text_as_the_gate_asks(
    screen_group: object, extra: str, group: bool
) -> None:
    assert callable(screen_group)
    assert screen_group(LETTER + extra) is group


def test_a_text_the_gate_decides_alone_is_in_no_group(screen_group: object) -> None:
    assert callable(screen_group)
    automatic = "This is an automatically generated message. Do not reply to this email."
    assert screen_group(automatic) is None


def test_the_thresholds_keep_the_head_s_right_suggestions_only(tmp_path: Path) -> None:
    """The screen's thresholds keep the texts the head would act on whose label says no customer
    wrote them: a person's SMS or a GitHub issue the head is sure of is a wrong suggestion the
    screen may spare. The dev set's long tickets are read from its shippable source only."""
    screen_rows = _trainer("screen_rows")
    assert callable(screen_rows)
    sms = tmp_path / "sms.txt"
    sms.write_text("ham\tSee you at six, bring the keys\nspam\tWIN a prize now\n", "utf-8")
    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text(
        "".join(
            json.dumps({"source": source, "subject": "", "description": text}) + "\n"
            for source, text in (
                ("nlbse", "The editor freezes when I paste a 2 MB JSON file into a new tab."),
                ("tobi", "A non-commercial row the shipped screen must not learn from."),
                ("airline", "Another non-commercial row."),
            )
        ),
        "utf-8",
    )
    texts, sources, spam = screen_rows(sms, tickets)
    by_source: dict[str, set[bool]] = {}
    for source, is_spam in zip(sources, spam, strict=True):
        by_source.setdefault(source, set()).add(is_spam)
    assert by_source["sms_ham"] == {False}
    assert by_source["nlbse"] == {False}
    assert "tobi" not in by_source
    assert "airline" not in by_source
    assert not any("WIN a prize" in text for text in texts)  # the SMS spam is not read
    assert by_source["spam_bulk_written-en"] == {True}
    assert by_source["bitext"] == {False}
    labels = {
        json.loads(line)["label"]
        for line in (REPO / "tests/data/spam_examples.jsonl").read_text("utf-8").splitlines()
    }
    assert {"spam", "phishing"} <= labels
    assert by_source["spam_examples-en"] == ({True, False} if "none" in labels else {True})
