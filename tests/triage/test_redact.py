"""Redaction: the labelled case file (precision and recall), the checks behind each kind, speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ticket_processor.evaluation.redaction import PII_KINDS, read_cases, score
from ticket_processor.triage.redact import luhn_valid, redact

CASES = Path(__file__).resolve().parents[1] / "data" / "redaction_cases.jsonl"


def load_cases() -> list[dict[str, object]]:
    return read_cases(CASES)


def test_case_file_is_big_enough_and_has_hard_negatives() -> None:
    cases = load_cases()
    assert len(cases) >= 60
    negatives = [case for case in cases if not case["expected"]]
    assert len(negatives) >= 20
    kinds = {item["kind"] for case in cases for item in case["expected"]}  # type: ignore[attr-defined]
    assert kinds == set(PII_KINDS)


def test_precision_and_recall_on_the_labelled_cases() -> None:
    tp, fp, fn, problems = score(load_cases())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\nredaction: tp={tp} fp={fp} fn={fn} precision={precision:.3f} recall={recall:.3f}")
    for problem in problems:
        print("  ", problem)
    assert precision >= 0.95
    assert recall >= 0.95


def test_scoring_can_fail() -> None:
    # The scorer itself must notice a leak and a false alarm.
    tp, fp, fn, _ = score(
        [
            {"text": "card 4111 1111 1111 1112", "expected": [{"kind": "card", "value": "4111"}]},
            {"text": "mail a@example.com", "expected": []},
        ]
    )
    assert (tp, fp, fn) == (0, 1, 1)


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert luhn_valid("378282246310005")


def test_placeholders_and_counts() -> None:
    text, counts = redact("mail a.b@example.com, card 4111-1111-1111-1111, call (415) 555-0132")
    assert text == "mail [EMAIL], card [CARD], call [PHONE]"
    assert counts == {"email": 1, "card": 1, "phone": 1}


def test_keyed_secret_keeps_the_key_name() -> None:
    text, counts = redact("export OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx123")
    assert "sk-abcdefghijklmnopqrstuvwx123" not in text
    assert counts == {"secret": 1}


def test_empty_text() -> None:
    assert redact("") == ("", {})


@pytest.mark.parametrize(
    "hostile",
    [
        "1" * 200_000,
        "1 " * 100_000,
        "a@" * 100_000,
        "a." * 100_000,
        "+1 (" * 50_000,
        "token=" + "a1" * 100_000,
        "DE89 " * 40_000,
    ],
)
def test_linear_time_on_hostile_input(hostile: str) -> None:
    # By ratio to prose of the same length, not by wall clock: a loaded machine slows both.
    prose = ("My order has not arrived and the tracking page shows nothing. " * 4_000)[
        : len(hostile)
    ]

    def seconds(text: str) -> float:
        started = time.perf_counter()
        redact(text)
        return time.perf_counter() - started

    assert seconds(hostile) / min(seconds(prose), seconds(prose)) < 30
