"""What the help centre is searched on for a forwarded mail or a question about one, and the
note's line on a forward (``triage.mail_question``, ``kb.retrieve``, ``writeback.note``).

Pure, plain data: an index in a temporary file holds five of the sandbox's seeded articles
(``tests/data/security_articles.jsonl``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticket_processor.kb.index import ArticleIndex
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.search import lookup
from ticket_processor.models import Analysis, Sentiment, Triage, Urgency
from ticket_processor.models.helpdesk import Article
from ticket_processor.triage.mail_question import MAIL_QUESTION_TERMS, search_text
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.writeback.note import NoteLanguage, render_note

ARTICLES = Path(__file__).resolve().parents[1] / "data" / "security_articles.jsonl"
FORWARD_HEADER = (
    "\n\n---------- Forwarded message ---------\n"
    "From: Security Team <security@acme-verify-login.xyz>\n"
    "Subject: Your account will be suspended\n\n"
    "Dear customer, your account will be suspended in 24 hours. Verify your password here: "
    "http://acme-verify-login.xyz/login"
)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ArticleIndex:
    built = ArticleIndex(tmp_path_factory.mktemp("kb") / "kb.sqlite")
    for number, line in enumerate(ARTICLES.read_text("utf-8").splitlines(), start=1):
        row = json.loads(line)
        built.upsert(
            Article(
                id=number,
                title=row["title"],
                body=row["body"],
                url=f"https://help.example.com/{row['key']}",
                locale=row["locale"],
                updated_at="2026-11-01T00:00:00Z",
            )
        )
    return built


def _titles(index: ArticleIndex, subject: str, description: str) -> list[str]:
    prepared = prepare_ticket(subject, description)
    return [s.title for s in lookup(index, ticket_text(prepared), "en", 3)]


@pytest.mark.parametrize(
    "question",
    [
        "Is this from you? I got this mail this morning.",
        "Did you send this? It asks for my password.",
        "Ist das von Ihnen? Ich habe diese Mail heute bekommen.",
    ],
)
def test_a_question_above_a_forwarded_mail_finds_the_phishing_article(
    index: ArticleIndex, question: str
) -> None:
    titles = _titles(index, "Fwd: Your account will be suspended", question + FORWARD_HEADER)
    assert titles[:1] == ["Phishing emails and reporting security issues"]
    assert "Account locked or suspended" not in titles


def test_a_customers_own_locked_account_still_finds_its_article(index: ArticleIndex) -> None:
    titles = _titles(
        index,
        "Account locked",
        "My account is locked after too many failed sign-in attempts. How long until I can "
        "sign in?",
    )
    assert titles[:1] == ["Account locked or suspended"]


def test_a_forwards_subject_is_left_out_only_above_words_of_the_senders_own() -> None:
    subject = "Fwd: Your account will be suspended"
    assert search_text(subject, "Please look at this invoice", forwards=True).startswith("\n")
    assert search_text(subject, "", forwards=True).startswith(subject)  # nothing of their own
    assert search_text("Fwd: Invoice", "See below", forwards=False).startswith("Fwd: Invoice")
    assert MAIL_QUESTION_TERMS in search_text("", "Is this email from you?", forwards=False)
    assert MAIL_QUESTION_TERMS not in search_text("", "How do I export a report?", forwards=False)


def test_prepare_says_whether_the_text_forwards_a_mail() -> None:
    assert prepare_ticket("Fwd: x", "Is this from you?" + FORWARD_HEADER).forwards
    assert prepare_ticket("Hi", "Is it true?\n\n> quoted line\n> another").forwards
    assert not prepare_ticket("Export", "How do I export a report?").forwards


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "Forwards or quotes a mail"), ("de", "Leitet eine Mail weiter oder zitiert sie")],
)
def test_the_note_says_the_ticket_forwards_a_mail(language: str, said: str) -> None:
    analysis = Analysis(
        category="security",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="The customer asks whether a mail is ours.",
        confidence=0.6,
    )
    forwarded = Triage(analysis=analysis, engine="rules", forwards=True)
    note = render_note(
        forwarded,
        priority=None,
        run_id="run-1",
        language=NoteLanguage(language),
        forwards=forwarded.forwards,
    )
    assert said in note
    plain = render_note(Triage(analysis=analysis, engine="rules"), priority=None, run_id="run-1")
    assert "Forwards or quotes a mail" not in plain
