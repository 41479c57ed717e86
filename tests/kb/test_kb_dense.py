"""Passage vectors beside the keywords: stored for the articles that lack them (a changed
article only), found by meaning where no keyword matches, and fused with the keyword ranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from ticket_processor.kb.dense import (
    DEFAULT_STATS,
    STATS_KEY,
    PassageStats,
    blend,
    encode_missing,
    passages,
    retrieve,
)
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Article

ARTICLES = [
    Article(
        1,
        "Reset your password",
        "<p>Open the sign-in page and click Forgot password. We email you a reset link.</p>",
        "https://help.example.com/1",
        "en-us",
        "2026-01-01T00:00:00Z",
    ),
    Article(
        2,
        "Export your data to CSV",
        "<p>Open Reports, pick a range and click Export. The CSV file arrives by email.</p>",
        "https://help.example.com/2",
        "en-us",
        "2026-01-01T00:00:00Z",
    ),
    Article(
        3,
        "Switch to dark mode",
        "<p>Open Settings, then Appearance, and choose Dark.</p>",
        "https://help.example.com/3",
        "en-us",
        "2026-01-01T00:00:00Z",
    ),
]


def test_vectors_are_made_only_for_articles_without_them(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return embed_texts(texts)

    index = ArticleIndex(tmp_path / "kb.sqlite3")
    for article in ARTICLES:
        index.upsert(article)
    assert encode_missing(index, counting) == 3
    assert encode_missing(index, counting) == 0
    changed = Article(**{**ARTICLES[2].__dict__, "updated_at": "2026-02-01T00:00:00Z"})
    index.upsert(changed)
    assert index.rows_without_vectors() != []
    assert encode_missing(index, counting) == 1
    assert calls[-1][0] == "Switch to dark mode"
    owners, matrix = index.vectors()
    assert len(set(owners.tolist())) == 3
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-4)
    index.close()


def test_a_paraphrase_in_another_language_is_found_by_meaning(tmp_path: Path) -> None:
    index = ArticleIndex(tmp_path / "kb.sqlite3")
    for article in ARTICLES:
        index.upsert(article)
    encode_missing(index, embed_texts)
    text = "Ich habe mein Kennwort vergessen und komme nicht mehr in mein Konto."
    keywords_only = retrieve(index, text, None)
    assert not keywords_only.candidates  # no word of the ticket is in any article
    found = retrieve(index, text, embed_texts)
    top = found.top("fused")
    assert found.dense
    assert top is not None
    assert top.hit.article_id == 1
    assert top.dense_rank == 1
    assert top.keyword_rank == 0
    index.close()


def test_passages() -> None:
    cut = passages("Title", "One. " * 200)
    assert cut[0] == "Title"
    assert all(len(p) <= 410 for p in cut[1:])


def test_eval_reports_each_retriever_and_the_fusion(tmp_path: Path) -> None:
    from ticket_processor.kb.evaluate import AnsweredTicket, evaluate

    index = ArticleIndex(tmp_path / "kb.sqlite3")
    for article in ARTICLES:
        index.upsert(article)
    tickets = [
        AnsweredTicket("Forgot password", "How do I reset my password?", frozenset({1})),
        AnsweredTicket("", "Ich habe mein Kennwort vergessen.", frozenset({1})),
        AnsweredTicket("Dark theme", "Can the app look dark at night?", frozenset({3})),
    ]
    figures = evaluate(index, tickets, embed=embed_texts).as_dict()
    assert figures["keyword hit@1"] is not None
    assert figures["dense hit@1"] == 1.0  # the German ticket too, by meaning
    assert figures["fused hit@3"] == 1.0
    assert figures["keyword hit@3"] != 1.0  # no keyword of the German ticket is indexed
    index.close()


def _unit(rows: list[list[float]]) -> npt.NDArray[np.float32]:
    matrix = np.asarray(rows, np.float32)
    unit: npt.NDArray[np.float32] = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    return unit


def test_the_index_reads_its_own_cosine_scale_at_sync_and_retrieval_hands_it_on(
    tmp_path: Path,
) -> None:
    index = ArticleIndex(tmp_path / "kb.sqlite3")
    for article in ARTICLES:
        index.upsert(article)
    assert index.meta(STATS_KEY) is None
    encode_missing(index, embed_texts)
    stored = PassageStats.from_json(index.meta(STATS_KEY))
    assert stored != DEFAULT_STATS
    assert stored.nearest_sd > 0
    assert stored.spread > 0
    found = retrieve(index, "How do I reset my password?", embed_texts)
    assert found.stats == stored
    # Keywords alone read no vectors: the default scale.
    assert retrieve(index, "reset my password", None).stats == DEFAULT_STATS
    # An article that comes changes the scale the next sync stores.
    index.upsert(
        Article(
            4,
            "Change your password",
            "<p>Open Settings and pick a new password.</p>",
            "https://help.example.com/4",
            "en-us",
            "2026-01-01T00:00:00Z",
        )
    )
    encode_missing(index, embed_texts)
    assert PassageStats.from_json(index.meta(STATS_KEY)) != stored
    index.close()


def test_a_help_centre_of_look_alike_articles_has_a_higher_nearest_cosine() -> None:
    from ticket_processor.kb.dense import passage_stats

    owners = np.array([1, 1, 2, 2, 3, 3], np.int64)
    distinct = _unit([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0.1, 1, 0], [0, 0, 1], [0, 0.1, 1]])
    alike = _unit(
        [[1, 0.2, 0], [1, 0.3, 0], [1, 0.25, 0.1], [1, 0.2, 0.2], [1, 0, 0.3], [1, 0.1, 0]]
    )
    low, high = passage_stats(owners, distinct), passage_stats(owners, alike)
    assert high.nearest_mean > low.nearest_mean + 0.5
    # One article's passages alone give no scale of their own.
    single = passage_stats(np.array([1, 1], np.int64), distinct[:2])
    assert single == DEFAULT_STATS
    assert PassageStats.from_json("not json") == DEFAULT_STATS
    assert PassageStats.from_json("[0.5, 0, 0.1]") == DEFAULT_STATS


SHOP = [
    (
        "Cancel an order",
        "You can cancel an order before it ships: open Orders, pick the order "
        "and click Cancel. An order that has shipped can be returned instead.",
    ),
    (
        "Delete your account",
        "To close your account for good, open Settings, then Privacy, and "
        "choose Delete account. Everything you stored is erased after 30 days.",
    ),
    (
        "Change the email on your account",
        "Open Settings, then Account, type the new email "
        "address and confirm the link we send to it. Your account keeps its orders and settings.",
    ),
    (
        "Track a delivery",
        "Open Orders and pick the order: its tracking link shows where the "
        "parcel is and when it should arrive.",
    ),
    (
        "Update your payment card",
        "Open Settings, then Billing, and replace the card. The new "
        "card is charged from the next invoice.",
    ),
]


def test_the_fusion_follows_the_vectors_where_the_keywords_name_a_neighbour(
    tmp_path: Path,
) -> None:
    # Reciprocal rank fusion weighed both rankings alike: the keyword ranking's first article
    # ("order" is in the ticket) won over the one the vectors put first, and the customer
    # asking to delete their account was offered "Cancel an order".
    index = ArticleIndex(tmp_path / "kb.sqlite3")
    with index.transaction():
        for n, (title, body) in enumerate(SHOP, start=1):
            index.upsert(
                Article(
                    n,
                    title,
                    f"<p>{body}</p>",
                    f"https://help.example.com/{n}",
                    "en-us",
                    "2026-01-01T00:00:00Z",
                )
            )
        encode_missing(index, embed_texts)
    for text in (
        "Remove all my data and my account, not just the order.",
        "I want to be forgotten, wipe the account please, the order too",
    ):
        found = retrieve(index, text, embed_texts)
        keyword, dense, fused = found.top("keyword"), found.top("dense"), found.top("fused")
        assert keyword is not None
        assert dense is not None
        assert fused is not None
        assert keyword.hit.article_id == 1  # the keywords alone get it wrong
        assert dense.hit.article_id == 2
        assert fused.hit.article_id == 2, text
        assert fused.fused == blend(fused.cosine, fused.share, fused.held)
    without_vectors = retrieve(index, "Remove all my data and my account", None)
    # No encoder: the keyword ranking alone, in its own order.
    assert [c.keyword_rank for c in without_vectors.candidates] == list(
        range(1, len(without_vectors.candidates) + 1)
    )
    index.close()
