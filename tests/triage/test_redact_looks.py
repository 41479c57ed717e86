"""Redaction's shortcuts skip nothing a pattern would find.

A pattern with a cheap first look (``redact._NEEDED``: what every match holds) is not run on a
text where the look finds nothing; a pattern searched near its needles (``redact._NEAR``) is
tried only up to ``reach`` characters before each. Both are only right if every match of the
pattern holds the look, or the needle that close to its start: checked here on every text of
the redaction corpus, the hostile ones included, and on texts made to sit at the edges. The
golden file (``test_redact_unchanged.py``) checks the end result; this names the shortcut that
would be wrong.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ticket_processor.evaluation import redaction_corpus as corpus
from ticket_processor.triage import redact as redaction
from ticket_processor.triage import redact_ids, redact_search
from ticket_processor.triage.redact_ids import fold_digits
from ticket_processor.triage.redact_personal import decode_entities

sys.path.insert(0, str(Path(__file__).parent))
from test_redact_unchanged import texts

# Matches at the edges of what the looks and windows allow.
EDGES = (
    "AB12 3456 7890 1234 5678 90 and GB82 WEST 1234 5698 7654 32",
    "card 4111 1111 1111 1111, ssn 123-45-6789 / 123 45 6789",
    "NI number AB 12 34 56 C and QQ123456C",
    "Hauptstraße 12\n10115 Berlin and Kerkstraat 5a, 1234 AB Amsterdam",
    "mac 00:1a:2b:3c:4d:5e or 001a.2b3c.4d5e; CURP GODE561231HDFRRN09",
    "cpf 123.456.789-09, ric 11010519491231002X, rrn 900101-1234567",
    "john.smith.jr at example dot com; " + "a" * 63 + "@example.com",
    "j [dot] " + "b" * 60 + " dot " + "c" * 60 + " [at] example [dot] co [dot] uk",
    "x" * 70 + "@example.com " + "y" * 64 + "@example.com",
    "    at Client.upload (lib/client.js)\nwrite to ann at example.org please",
    "slack xoxb-1234567890 and aws wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "ring PLUS Four Nine, ONE seven six, double five 5 one two three",
    "call +44 (0) (20) 7946 0958 or\n+44 (0)\n  20 7946 0958",
)


def folded_texts() -> Iterator[str]:
    for _key, text in texts():
        yield fold_digits(decode_entities(text))
    for text in (*corpus.HOSTILE_MEGABYTE, *EDGES):
        yield fold_digits(decode_entities(text))


@pytest.fixture(scope="module")
def all_texts() -> list[str]:
    return list(folded_texts())


@pytest.mark.timeout(600)  # every pattern on every text, the megabyte ones too: 30 s alone
def test_every_match_holds_its_first_look(all_texts: list[str]) -> None:
    missed = [
        (pattern.pattern[:40], match.group(0)[:60])
        for pattern, look in redaction._NEEDED.items()
        for text in all_texts
        if (match := pattern.search(text)) is not None and look.search(text) is None
    ]
    assert not missed, missed[:5]


def test_a_lower_case_look_holds_no_letter_with_other_cases() -> None:
    # ``str.lower`` and ``(?i)`` agree on the text only where neither side holds one.
    for pattern in ("[ ,-]One", "[ ,-]ıki", "σ"):
        with pytest.raises(ValueError, match="in lower case"):
            redact_search.LowerCaseLook(pattern)


def test_a_text_with_other_cases_is_searched_in_full() -> None:
    # "ſix" is "six" to (?i), not to str.lower: the look must not turn the text away.
    text = "call ſix one two three four five six seven"
    assert redaction.redact(text)[0] == "call [PHONE]"


def test_every_phone_holds_eight_digits_close_together(all_texts: list[str]) -> None:
    # What ``_redact_folded`` looks for before it tries the phone shapes at all.
    missed = [
        (pattern.pattern[:40], match.group(0)[:60])
        for pattern, decide, look in (
            (redaction._PHONE, redaction._phone, redaction._PHONE_DIGITS),
            (redaction._PHONE_SPLIT, redaction._split_phone, redaction._SPLIT_PHONE_DIGITS),
        )
        for text in all_texts
        for match in pattern.finditer(text)
        if decide(match, text) is not None and look.search(match.group(0)) is None
    ]
    assert not missed, missed[:5]


def test_a_pattern_opening_with_a_character_is_not_guarded() -> None:
    # The engine's own prefix scan finds "https://" faster than a look-ahead tried everywhere.
    for pattern in (
        re.compile("https://(?:a|b)"),
        re.compile(r"(?i)\[PHONE\]x"),
        re.compile("[ab]c"),
    ):
        assert redact_search.guarded(pattern) is pattern
    assert redact_search.guarded(re.compile(r"(?<!\w)\d+")) is not None


def test_folding_runs_folds_each_character_as_before() -> None:
    # ``fold_digits`` folds only the runs of characters other than ASCII, from a table.
    chooser = random.Random(7)
    ranges = ((0, 0x7F), (0x80, 0x3000), (0xFF00, 0xFF70), (0x660, 0x670), (0x1, 0x10FFFF))
    for _ in range(500):
        text = "".join(
            chr(chooser.randint(*chooser.choice(ranges))) for _ in range(chooser.randint(0, 60))
        )
        assert fold_digits(text) == "".join(map(redact_ids._fold_char, text))


def test_every_match_holds_its_needle_within_reach(all_texts: list[str]) -> None:
    missed = []
    for pattern, (needle, reach) in redaction._NEAR.items():
        for text in all_texts:
            for match in pattern.finditer(text):
                hit = needle.search(text, match.start())
                if hit is None or hit.start() > match.start() + reach:
                    missed.append((pattern.pattern[:40], match.group(0)[:60]))
    assert not missed, missed[:5]


def test_searching_near_needles_finds_what_sub_finds(all_texts: list[str]) -> None:
    def mark(match: re.Match[str]) -> str:
        return f"<{match.start()}:{match.group(0)}>"

    for pattern, (needle, reach) in redaction._NEAR.items():
        fast = redact_search.guarded(pattern)
        for text in all_texts:
            found = redact_search.sub_near(fast, needle, reach, text, mark)
            assert found == pattern.sub(mark, text)


def test_the_edges_are_matched() -> None:
    # (so the looks above are asked about texts their patterns do match)
    found = {
        pattern.pattern
        for pattern in (*redaction._NEEDED, *redaction._NEAR)
        for text in EDGES
        if pattern.search(fold_digits(text))
    }
    assert len(found) == len({*redaction._NEEDED, *redaction._NEAR})
    phones = [redaction._phone, redaction._split_phone]
    for pattern, decide in zip((redaction._PHONE, redaction._PHONE_SPLIT), phones, strict=True):
        assert any(decide(m, t) for t in EDGES for m in pattern.finditer(t)), pattern.pattern[:40]
