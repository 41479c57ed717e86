"""Redaction against the hostile corpus, both directions, and its cost.

Every personal value in ``evaluation.redaction_corpus.PII`` must be gone (0 leaks); every
harmless text in ``HARMLESS`` must come out unchanged (0 false redactions).
``pytest -s -k precision`` prints the figures. The cost test compares a 1 MB hostile body with
1 MB of plain prose: a regex that backtracks shows up as a ratio, whatever the machine's load.
"""

from __future__ import annotations

import time

import pytest

from ticket_processor.evaluation.redaction import leaks
from ticket_processor.evaluation.redaction_corpus import (
    HARMLESS,
    HELD_OUT,
    HELD_OUT_LOOKALIKES,
    HOSTILE_MEGABYTE,
    PII,
    PROSE,
)
from ticket_processor.triage.redact import redact


def test_the_corpus_is_broad() -> None:
    assert len(PII) > 50
    assert len(HARMLESS) > 50
    assert len({note for note, _, _ in PII}) == len(PII)
    assert len({note for note, _ in HARMLESS}) == len(HARMLESS)


def test_the_held_out_forms_never_reach_the_llm_and_their_look_alikes_do() -> None:
    # Written before the patterns; 28 of 30 when first measured, both misses' families since
    # covered. README promises every family in it: none may reach the LLM.
    reached = [note for note, text, values in HELD_OUT if leaks(text, values)]
    assert len(HELD_OUT) == 30
    assert reached == []
    assert [t for t in HELD_OUT_LOOKALIKES if redact(t)[0] != t] == []


def test_precision_and_recall_on_the_hostile_corpus() -> None:
    values = sum(len(v) for _, _, v in PII)
    leaked = [(note, value) for note, text, v in PII for value in leaks(text, v)]
    false = [(note, redact(text)[0]) for note, text in HARMLESS if redact(text)[0] != text]
    found = values - len(leaked)
    # Precision over placeholders: each harmless text changed counts as one false redaction.
    precision = found / (found + len(false)) if found + len(false) else 1.0
    recall = found / values
    print(
        f"\nhostile corpus: {len(PII)} PII texts ({values} values), {len(HARMLESS)} harmless; "
        f"leaks={len(leaked)} false_redactions={len(false)} "
        f"precision={precision:.3f} recall={recall:.3f}"
    )
    for note, value in leaked:
        print(f"   LEAK {note}: {value!r}")
    for note, out in false:
        print(f"   FALSE {note}: {out!r}")
    assert leaked == []
    assert false == []


@pytest.mark.parametrize(("note", "text", "values"), PII, ids=[n for n, _, _ in PII])
def test_personal_data_is_removed(note: str, text: str, values: list[str]) -> None:
    out, counts = redact(text)
    assert leaks(text, values) == [], out
    assert counts, out


@pytest.mark.parametrize(("note", "text"), HARMLESS, ids=[n for n, _ in HARMLESS])
def test_harmless_identifiers_reach_the_llm(note: str, text: str) -> None:
    assert redact(text) == (text, {})


def test_the_checks_can_fail() -> None:
    assert leaks("mail jane@example.com", ["example.org"]) == []
    assert leaks("nothing here", ["nothing"]) == ["nothing"]


def _seconds(text: str) -> float:
    started = time.perf_counter()
    redact(text)
    return time.perf_counter() - started


def _ratio(hostile: str) -> float:
    prose = (PROSE * (len(hostile) // len(PROSE) + 1))[: len(hostile)]
    baseline = min(_seconds(prose) for _ in range(2))
    return _seconds(hostile) / baseline


@pytest.mark.slow
def test_a_megabyte_of_hostile_text_costs_about_what_prose_costs() -> None:
    # Every hostile shape at once, 1 MB: the body a ticket could carry before prepare's caps.
    share = 1_000_000 // len(HOSTILE_MEGABYTE)
    mixed = "".join(h[:share] for h in HOSTILE_MEGABYTE)
    assert len(mixed) >= 990_000
    # Linear patterns stay within a small factor of prose; backtracking is 100x and more.
    assert _ratio(mixed) < 30


@pytest.mark.parametrize("hostile", HOSTILE_MEGABYTE, ids=[h[:12] for h in HOSTILE_MEGABYTE])
def test_each_hostile_shape_is_linear(hostile: str) -> None:
    assert _ratio(hostile[:50_000]) < 30, hostile[:30]
