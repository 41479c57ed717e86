"""The reply's language and the triage's confidence: a short English ticket is answered in
English (its few words once read as Portuguese), a ticket in another language in that one, and
a ticket whose category is below its apply threshold is never answered."""

from __future__ import annotations

from ticket_processor.answers.plan import Circumstances, cues, decide, sure_language
from ticket_processor.kb.text import words
from ticket_processor.models import Analysis, Suggestion, Ticket, Triage
from ticket_processor.triage.confidence import Calibration
from ticket_processor.triage.language import detect_language

ARTICLE = (
    "<p>To export your data as a CSV file, open <b>Reports</b>, choose the range and click "
    "<b>Export</b>. The file arrives by email within a few minutes.</p>"
)
WHERE = Circumstances(
    mode="send",
    threshold=0.9,
    escalated=False,
    requester_is_agent=False,
    requester_answered_at=None,
    answered_here=False,
    now=1_800_000_000.0,
    prefix="ai_",
    calibration=Calibration(starts=(0.0, 0.3), values=(0.0, 0.95)),
)


def triage(confidence: float = 0.9, language: str = "en", **extra: object) -> Triage:
    analysis = Analysis(
        category="how_to",
        urgency="medium",
        sentiment="neutral",
        language=language,
        summary="",
        confidence=confidence,
    )
    found = Suggestion(
        article_id=9,
        title="Export data",
        url="https://help.example.com/hc/en-us/articles/9",
        locale="en-us",
        visibility="everyone",
        score=0.5,
    )
    return Triage(analysis=analysis, engine="rules", suggestions=(found,), **extra)


def body(article_id: int, locale: str) -> str:
    return ARTICLE


def answer(subject: str, text: str, tri: Triage, where: Circumstances = WHERE) -> str:
    ticket = Ticket(id=5, subject=subject, description=text)
    plan, reason = decide(ticket, tri, cues(subject, text), where, body)
    assert plan is not None, reason
    return plan.body


def test_a_short_english_ticket_is_answered_in_english() -> None:
    text = "o export a CSV e data?"
    # The stopword count alone reads it as Portuguese: what answered "Olá" before.
    assert detect_language(words(text)) == "pt"
    assert sure_language(words(text)) is None
    assert answer("CSV", text, triage(language="pt")).startswith("Hello")


def test_a_ticket_clearly_in_another_language_is_answered_in_it() -> None:
    text = "Hola, no sé cómo exportar los datos en un archivo CSV. ¿Me podéis ayudar con esto?"
    assert sure_language(words(text)) == "es"
    assert answer("Exportar CSV", text, triage(language="es")).startswith("Hola")


def test_a_triage_below_its_categorys_apply_threshold_is_answered_all_the_same() -> None:
    # The article answers "export as CSV" whatever the triage's confidence in the category.
    ticket = Ticket(id=5, subject="CSV", description="How do I export my data as a CSV file?")
    found = cues(ticket.subject, ticket.description)
    unsure = triage(field_confidence={"category": 0.28}, apply_at={"category": 0.6})
    assert decide(ticket, unsure, found, WHERE, body)[0] is not None
    assert decide(ticket, triage(confidence=0.28), found, WHERE, body)[0] is not None


def test_a_japanese_ticket_is_named_japanese_and_answered_in_the_help_centres_language() -> None:
    # Its script names it (it was "en" before); no template is Japanese and the help centre's
    # article is English, so a reply goes in English, never in a language neither has.
    subject, text = "CSVエクスポート", "データをCSVでエクスポートする方法を教えてください。"
    found = cues(subject, text)
    assert found.language == "ja"
    assert found.sure_language is None
    assert answer(subject, text, triage(language="ja")).startswith("Hello")
