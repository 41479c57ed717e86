"""Phone numbers judged by libphonenumber, national ids by python-stdnum, and the forms no
library knows (phones in words, ``ät``/``punkt`` emails, MAC addresses, medical record
numbers): each is gone, and the look-alikes beside them stay as written."""

from __future__ import annotations

import pytest

from ticket_processor.evaluation.redaction import leaks
from ticket_processor.evaluation.redaction_corpus import LIBRARY_FORMS
from ticket_processor.triage.redact import redact


@pytest.mark.parametrize(
    ("note", "text", "values"), LIBRARY_FORMS, ids=[note for note, _, _ in LIBRARY_FORMS]
)
def test_library_forms_are_gone(note: str, text: str, values: list[str]) -> None:
    assert leaks(text, values) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ruf an: 0 1 7 6 1 2 3 4 5 6 7 8", "phone"),
        ("Tel 06 12 34 56 78", "phone"),
        ("plus four four two zero seven nine four six", "phone"),
        ("身份证 11010519491231002X", "national_id"),
        ("RRN 971013-9019902", "national_id"),
        ("MRN: 12345678", "national_id"),
        ("MAC 00:1B:44:11:3A:B7", "mac"),
    ],
)
def test_each_form_is_counted_under_its_kind(text: str, kind: str) -> None:
    assert kind in redact(text)[1]


@pytest.mark.parametrize(
    "text",
    [
        "Zoom meeting 812 3456 7890",  # valid in Japan to a lenient matcher, not so grouped
        "Bestellung 12345678903 storniert",  # bare digits: valid somewhere, left to redact's shapes
        "timestamp 1732345678",
        "order 110105194912310021",  # a resident id's length, its check fails
        "reference 9710139019903",
        "build 19045.3693 on 2026-11-02 08:15:00",
        "MAC 00:00:00:00:00:00 is a placeholder",
        "medical record keeping is slow",
    ],
)
def test_look_alikes_stay(text: str) -> None:
    assert redact(text) == (text, {})


def test_a_phone_after_a_phone_word_is_taken_whole() -> None:
    # The labelled pattern used to stop at twenty characters and leave the last digit.
    assert redact("Handy: 0 1 7 6 1 2 3 4 5 6 7 8 bitte")[0] == "Handy: [PHONE] bitte"
