"""The shared words' half of the similar solved tickets: the rule on plain data, the words kept
in the store (a version-1 store read as it is and upgraded in place), and the figures' measure
of what an unrelated question is shown."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ticket_processor.solved import store as store_module
from ticket_processor.solved.evaluate import leave_one_out
from ticket_processor.solved.lookup import (
    MIN_SHARED_WORDS,
    SURE_SIMILARITY,
    related,
    shown,
    similar,
)
from ticket_processor.solved.store import SolvedRow, SolvedStore


def test_a_solved_ticket_is_related_when_the_encoder_is_sure_or_enough_words_are_shared() -> None:
    assert related(SURE_SIMILARITY, 0)
    assert related(0.31, MIN_SHARED_WORDS)
    assert not related(0.31, MIN_SHARED_WORDS - 1)
    found = [(1, 0.9), (2, 0.5), (3, 0.45), (4, 0.4), (5, 0.35)]
    words = {2: {"refund", "card"}, 3: {"refund", "card", "shoes"}, 5: {"refund", "card", "shoes"}}
    terms = ["refund", "card", "shoes", "returned"]
    assert shown(found, terms, words) == [(1, 0.9), (3, 0.45), (5, 0.35)]
    assert shown(found, terms, words, k=1) == [(1, 0.9)]
    assert shown(found[1:], ["invoice"], words) == []


def _unit(*values: float) -> npt.NDArray[np.float32]:
    vector = np.asarray(values, np.float32)
    return vector / np.linalg.norm(vector)


def test_the_store_keeps_the_words_and_similar_needs_them_when_asked(tmp_path: Path) -> None:
    store = SolvedStore(tmp_path / "solved.sqlite3")
    rows = [
        SolvedRow(1, "Refund missing", "Booked.", "2026-11-01", ("refund", "missing", "shoes")),
        SolvedRow(2, "Dark mode", "Settings.", "2026-11-01", ("dark", "mode")),
    ]
    store.add(rows, np.stack([_unit(1, 0.2, 0), _unit(0.5, 1, 0)]))
    try:
        assert store.words([1, 9]) == {1: frozenset({"refund", "missing", "shoes"})}
        query = _unit(1, 0.6, 0)  # cosine 0.94 to the refund, 0.84 to the dark mode
        assert [s.ticket_id for s in similar(store, query)] == [1, 2]
        shared = similar(store, query, text="Refund missing\nmy refund for the shoes is missing")
        assert [s.ticket_id for s in shared] == [1, 2]  # both above the sure cosine
        unsure = _unit(0.4, 0.2, 1)  # cosines 0.39 and 0.33: the words decide
        assert [s.ticket_id for s in similar(store, unsure)] == [1, 2]
        text = "Refund missing\nthe refund for my shoes is missing"
        assert [s.ticket_id for s in similar(store, unsure, text=text)] == [1]
        assert similar(store, unsure, text="Invoice\nplease add my VAT number") == ()
    finally:
        store.close()


def test_a_version_1_store_is_read_as_it_is_and_upgraded_when_written(tmp_path: Path) -> None:
    path = tmp_path / "solved.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(store_module._SCHEMA_V1 + "PRAGMA user_version = 1;")
        db.execute(
            "INSERT INTO solved VALUES (1, 'Refund missing for shoes', 'Booked.', '2026-11-01', ?)",
            (_unit(1, 0, 0).tobytes(),),
        )
    db.close()
    read_only = SolvedStore(path, read_only=True)
    try:
        assert read_only.available
        assert read_only.words([1]) == {1: frozenset({"refund", "missing", "shoes"})}
    finally:
        read_only.close()
    written = SolvedStore(path)
    try:
        assert written.set_aside is None  # kept, not set aside as a damaged file
        assert written.count() == 1
        written.add(
            [SolvedRow(2, "Dark mode", "Settings.", "2026-11-02", ("dark", "mode", "night"))],
            _unit(0, 1, 0)[None, :],
        )
        assert written.words([1, 2]) == {
            1: frozenset({"refund", "missing", "shoes"}),
            2: frozenset({"dark", "mode", "night"}),
        }
    finally:
        written.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == store_module.SCHEMA_VERSION
    db.close()


def _encode(texts: list[str]) -> npt.NDArray[np.float32]:
    """Two topics a little apart: every text near every other (cosines above the floor)."""
    return np.stack([_unit(1, 0.3) if "refund" in t else _unit(0.3, 1) for t in texts])


def test_the_figures_count_an_unrelated_question_shown_a_solved_ticket() -> None:
    texts = [
        "Refund\nrefund missing for the returned shoes",
        "Refund\nthe refund for my returned shoes is missing",
        "Dark mode\nswitch the mobile app to dark mode",
        "Dark mode\nthe mobile app in dark mode at night",
    ]
    labels = ["refund", "refund", "dark", "dark"]
    alone = leave_one_out(texts, labels, _encode, encoder_only=True)
    assert (alone.tickets, alone.hits, alone.unrelated) == (4, 4, 4)
    assert alone.unrelated_shown == 1.0
    words = leave_one_out(texts, labels, _encode)
    assert (words.tickets, words.hits, words.unrelated) == (4, 4, 0)
    assert (alone + words).unrelated == 4
