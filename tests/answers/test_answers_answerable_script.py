"""``python -m scripts.figures answers_answerable``: the answerability reading tried beside what
ships. An article that holds the ticket's common words but not its rare one holds little of
it; the reading adds a reply only where what ships sends none; and the threshold it picks is
precise on the centres it is picked on (no reply where none belongs)."""

from __future__ import annotations

from pathlib import Path

from support.e2e import script_module

from ticket_processor.kb.index import ArticleIndex
from ticket_processor.models import Article

figures = script_module("figures_answer_signals")
centres = script_module("figures_answer_centres")
Weighed = figures.Weighed


def _index(tmp_path: Path) -> tuple[ArticleIndex, dict[str, int]]:
    index = ArticleIndex(tmp_path / "kb.sqlite")
    texts = {
        "edit": ("Edit your account", "Change the account name and the account email."),
        "delete": ("Delete your account", "Delete the account and all of its data for good."),
        "invoices": ("Invoices", "Download the invoices of your account as PDF."),
    }
    rows = {}
    with index.transaction():
        for n, (key, (title, body)) in enumerate(texts.items(), start=1):
            rows[key] = index.upsert(
                Article(n, title, body, f"https://help.example.com/{n}", "en-us", "2026-01-01")
            )
    return index, rows


def test_an_article_without_the_tickets_rare_word_holds_little_of_it(tmp_path: Path) -> None:
    index, rows = _index(tmp_path)
    try:
        text = "Remove for good\nHow do I delete my account?"
        # "account" is in every article: it weighs nothing; "delete" is in one.
        assert centres.idf_held(index, text, rows["delete"]) > 0.9
        assert centres.idf_held(index, text, rows["edit"]) < 0.1
        # No word of the ticket weighs (all common, or unknown): nothing is held.
        assert centres.idf_held(index, "account account", rows["edit"]) == 0.0
        assert centres.idf_held(index, "zebra", rows["edit"]) == 0.0
    finally:
        index.close()


def _row(article: int, right: int | None, reading: float, *, answerable: bool = True) -> object:
    return Weighed(
        calibration=None,
        gate=(0.5, article),  # under every threshold of what ships
        right=frozenset({right}) if right is not None else frozenset(),
        answerable=answerable,
        asks=True,
        reading=(reading, 0.0, 0.0, 0.0),
    )


def test_the_reading_adds_a_reply_only_where_what_ships_sends_none() -> None:
    shipped = Weighed(
        calibration=None, gate=(0.97, 2), right=frozenset({2}), answerable=True, asks=False
    )
    waiting = _row(1, 1, 0.0)
    found = figures._with_reading([shipped, waiting], {id(waiting): 0.99}, 0.97)
    assert found == {"right": 2}
    assert figures._with_reading([shipped, waiting], {id(waiting): 0.9}, 0.97) == {"right": 1}


def test_the_picked_threshold_sends_nothing_where_none_belongs() -> None:
    # Three centres: right first articles read high, tickets no article answers a little
    # lower, in every centre; a threshold low enough for all the right ones would reach them.
    centres = {
        name: [_row(n, n, 3.0 + n / 10) for n in range(1, 9)]
        + [_row(9, None, 1.0, answerable=False), _row(10, None, 2.5, answerable=False)]
        for name in ("a", "b", "c")
    }
    at = figures._pick_reading(centres)
    assert at <= 1.0  # some threshold is precise
    pooled = [r for rows in centres.values() for r in rows]
    model = figures._fit_reading(pooled)
    scored = {id(r): figures._read(model, r) for r in pooled}
    found = figures._with_reading(pooled, scored, at)
    assert found["unwanted"] == 0
    assert found["right"] > 0
