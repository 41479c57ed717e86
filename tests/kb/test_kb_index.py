"""The help-centre index and lookup on plain data (no helpdesk): folding, HTML, language,
threshold, read-only opening, and the planner's use of suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.errors import ConfigError
from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.kb.search import lookup
from ticket_processor.models import (
    Analysis,
    Article,
    Sentiment,
    Suggestion,
    Ticket,
    Triage,
    Urgency,
)
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.run.connect import load_settings


def article(
    aid: int, title: str, body: str, locale: str = "en-us", vis: str = "everyone"
) -> Article:
    return Article(aid, title, body, f"https://hc.example/{aid}", locale, "2026-01-01", vis)  # type: ignore[arg-type]


@pytest.fixture
def index(tmp_path: Path) -> ArticleIndex:
    found = ArticleIndex(tmp_path / INDEX_FILE)
    with found.transaction():
        for item in (
            article(1, "Refund policy", "<p>Refunds take 5 to 10 business days.</p>"),
            article(
                2, "Rückerstattung", "<p>Die Rückerstattung dauert 5 bis 10 Werktage.</p>", "de"
            ),
            article(
                3,
                "Reset your password",
                "<script>refund refund</script><p>Forgot password? Use the reset link.</p>",
            ),
            article(4, "Delivery times", "<p>Parcels arrive within 3 business days.</p>"),
            article(5, "Shipping countries", "<p>We ship to the EU and the UK.</p>"),
        ):
            found.upsert(item)
    return found


def test_accents_fold_and_html_is_text(index: ArticleIndex) -> None:
    found = lookup(index, "Ruckerstattung dauert zu lange, Werktage vorbei", "de", 3)
    assert [s.article_id for s in found][:1] == [2]
    assert "refund" not in index.body(3, "en-us").lower()  # the script is not text
    assert "Forgot password?" in index.body(3, "en-us")


def test_the_tickets_language_comes_first(index: ArticleIndex) -> None:
    text = "Refund Rückerstattung: business days Werktage, refunds take too long"
    assert lookup(index, text, "de", 3)[0].locale == "de"
    assert lookup(index, text, "en", 3)[0].locale == "en-us"


def test_nothing_is_suggested_for_what_no_article_answers(index: ArticleIndex) -> None:
    assert lookup(index, "Would you like to sponsor our football club next season?", "en", 3) == []
    assert lookup(index, "", "en", 3) == []
    assert lookup(index, "refund policy days", "en", 0) == []


def test_a_read_only_index_creates_and_moves_nothing(tmp_path: Path) -> None:
    missing = ArticleIndex(tmp_path / INDEX_FILE, read_only=True)
    assert not missing.available
    assert lookup(missing, "refund policy", "en", 3) == []
    assert list(tmp_path.iterdir()) == []
    (tmp_path / INDEX_FILE).write_bytes(b"garbage")
    assert not ArticleIndex(tmp_path / INDEX_FILE, read_only=True).available
    assert [p.name for p in tmp_path.iterdir()] == [INDEX_FILE]


def test_max_age_takes_a_duration() -> None:
    assert load_settings({"TICKETBOT_KB_MAX_AGE": "90m"}, env_file=None).kb_max_age == 5400
    assert load_settings({"TICKETBOT_KB_MAX_AGE": "3600"}, env_file=None).kb_max_age == 3600
    with pytest.raises(ConfigError, match="TICKETBOT_KB_MAX_AGE"):
        load_settings({"TICKETBOT_KB_MAX_AGE": "soon"}, env_file=None)
    with pytest.raises(ConfigError, match="TICKETBOT_KB_SUGGESTIONS"):
        load_settings({"TICKETBOT_KB_SUGGESTIONS": "-1"}, env_file=None)


def _triage(*suggestions: Suggestion) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=Urgency.MEDIUM,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="Refund wanted",
        confidence=0.9,
    )
    return Triage(analysis=analysis, engine="rules", suggestions=suggestions)


def test_the_planner_lists_at_most_the_configured_number() -> None:
    picks = [
        Suggestion(
            article_id=i,
            title=f"A{i}",
            url=f"https://hc/{i}",
            locale="en-us",
            visibility="everyone",
            score=0.1,
        )
        for i in range(1, 4)
    ]
    ticket = Ticket(id=7, subject="Refund")
    planner = ChangePlanner(RunOptions(prefix="x_"), run_id="r", kb_suggestions=2)
    change = planner.plan(ticket, _triage(*picks))
    assert change.note is not None
    assert "[1] A1\n    https://hc/1\n[2] A2" in change.note
    assert "A3" not in change.note
    assert "x_kb_suggested" in change.additional_tags
    quiet = planner.plan(ticket, _triage())
    assert "x_kb_suggested" not in quiet.additional_tags
    assert quiet.note is not None
    assert "Help-centre" not in quiet.note
