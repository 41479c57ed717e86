"""The gate reads a ticket's cosine against its own help centre's scale: the same raw cosine is
a strong sign in a help centre of distinct articles and a weak one in a help centre of
look-alike articles (where every ticket comes close to some article). The scale comes from the
index (``kb.dense.passage_stats``), handed on with the ranking, as does the share of the
ticket's words each article holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.answers.gate import (
    FEATURES,
    GATE_FILE,
    Gate,
    fit_gate,
    gate_input,
    load_gate,
)
from ticket_processor.kb.dense import Candidate, PassageStats, Retrieved, retrieve
from ticket_processor.kb.index import ArticleIndex, Hit
from ticket_processor.models import Article


def _ranked(stats: PassageStats, held: float = 0.6) -> Retrieved:
    def candidate(article: int, cosine: float, place: int) -> Candidate:
        hit = Hit(
            article, article, f"Article {article}", f"https://h/{article}", "en-us", "everyone", 1.0
        )
        return Candidate(hit, 0.5 / place, place, cosine, place, 1 / (60 + place), 0.3, held)

    return Retrieved((candidate(1, 0.62, 1), candidate(2, 0.50, 2)), True, stats)


def test_the_same_cosine_reads_higher_in_a_help_centre_of_distinct_articles() -> None:
    distinct = PassageStats(nearest_mean=0.45, nearest_sd=0.10, spread=0.12)
    alike = PassageStats(nearest_mean=0.65, nearest_sd=0.10, spread=0.20)
    text = "How do I export my data?"
    sharp = gate_input(_ranked(distinct), text, "en").features
    blunt = gate_input(_ranked(alike), text, "en").features
    margin = FEATURES.index("cosine_margin_z")
    assert sharp[margin] == 1.0
    assert 0.0 < blunt[margin] < 1.0
    # The shipped gate gives the article more chance in the centre where it stands out.
    gate = load_gate(GATE_FILE)
    assert gate is not None
    assert gate.probability(sharp) > gate.probability(blunt)


def test_an_article_without_the_tickets_key_words_gets_less_chance() -> None:
    stats = PassageStats(nearest_mean=0.45, nearest_sd=0.10, spread=0.12)
    text = "How do I export my invoices as a spreadsheet?"
    holding = gate_input(_ranked(stats, held=0.8), text, "en").features
    missing = gate_input(_ranked(stats, held=0.1), text, "en").features
    assert holding[FEATURES.index("terms_held")] == 0.8
    gate = load_gate(GATE_FILE)
    assert gate is not None
    assert gate.probability(holding) > gate.probability(missing)


def test_the_ranking_says_how_many_of_the_tickets_words_each_article_holds(
    tmp_path: Path,
) -> None:
    index = ArticleIndex(tmp_path / "kb.sqlite")
    stamp = "2026-01-01T00:00:00Z"
    with index.transaction():
        index.upsert(
            Article(
                1,
                "Export invoices",
                "Download invoices as a CSV spreadsheet.",
                "u1",
                "en-us",
                stamp,
            )
        )
        index.upsert(
            Article(2, "Invoice address", "Change the address on invoices.", "u2", "en-us", stamp)
        )
    ranked = retrieve(index, "export invoices spreadsheet", None)
    held = {c.hit.article_id: c.held for c in ranked.candidates}
    assert held[1] == 1.0
    assert held[2] == pytest.approx(1 / 3)
    index.close()


def test_a_smooth_calibration_rises_with_the_score_and_loads_back(tmp_path: Path) -> None:
    rows = [(0.1 * i, i >= 5) for i in range(10)] * 3
    features = [(x,) + (0.0,) * (len(FEATURES) - 1) for x, _ in rows]
    right = [ok for _, ok in rows]
    gate = fit_gate(features, right, calibrate_on=([x for x, _ in rows], right), smooth=True)
    values = gate.calibration.values
    assert len(values) > 50
    assert list(values) == sorted(values)
    assert values[0] < 0.5 < values[-1]
    # The older call (isotonic steps) still works, and both kinds load from their file.
    steps = fit_gate(features, right)
    assert len(steps.calibration.values) < len(values)
    import orjson

    path = tmp_path / "gate.json"
    path.write_bytes(orjson.dumps(gate.as_json()))
    assert load_gate(path) == gate.__class__.from_json(gate.as_json())


def test_the_shipped_gate_was_fitted_on_the_ranking_the_run_reads() -> None:
    # The gate's features are read on the fused ranking's first article: fitted under other
    # fusion weights, it learnt from other articles than the ones it would weigh. Changing the
    # weights means refitting (``python -m scripts.figures answers_figures --write``).
    from ticket_processor.answers.gate import RANKING

    gate = load_gate(GATE_FILE)
    assert gate is not None
    assert gate.ranking == RANKING
    assert Gate.from_json({**gate.as_json(), "ranking": None}) is not None  # older files load


def test_an_article_in_another_language_is_weighed_against_every_rival() -> None:
    """A German article first for an English ticket, its one German rival far behind and an
    English article of another question nearly as close: the index cannot tell which answers,
    so the margin is the English rival's, not the German one's."""
    stats = PassageStats(nearest_mean=0.45, nearest_sd=0.10, spread=0.12)

    def candidate(article: int, locale: str, cosine: float, place: int) -> Candidate:
        hit = Hit(
            article, article, f"Article {article}", f"https://h/{article}", locale, "everyone", 1.0
        )
        return Candidate(hit, 0.0, 0, cosine, place, cosine, 0.3, 0.1)

    ranked = Retrieved(
        (
            candidate(3, "de-de", 0.30, 1),
            candidate(1, "en-us", 0.28, 2),
            candidate(6, "en-us", 0.27, 3),
            candidate(7, "de-de", 0.05, 4),
        ),
        True,
        stats,
    )
    features = gate_input(ranked, "My ride ended but the bike is still locked to me", "en")
    assert features.features[FEATURES.index("cosine_margin_z")] == pytest.approx(
        0.02 / 0.12, abs=1e-3
    )
    gate = load_gate(GATE_FILE)
    assert gate is not None
    assert gate.probability(features.features) < 0.55
