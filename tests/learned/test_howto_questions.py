"""The bundled model is sure of a help centre's plain questions about using a product.

A default run with no LLM triages with the bundled model, and the answers' guard
``triage_unsure`` refuses a ticket whose category's probability is under
``TICKETBOT_CONFIDENCE_THRESHOLD`` (0.5) before any article is weighed. The model was trained on
public sets (bank cards, retail orders, GitHub issues) and the sample tickets, which hold almost
no short "how do I ... in the app" questions, so it split them between ``how_to``, ``account``
and ``other`` under 0.5. ``samples/questions.jsonl`` (source ``questions``) adds such rows.

``tests/data/howto_questions.jsonl`` is 30 plain questions of the kind (en, de, fr, es, it, pt,
nl) and 7 look-alikes of other categories, written for these tests apart from the training
rows and never trained on; the model shipped before the written questions triaged 15 of the 30
as ``how_to`` at or above the threshold, and 5 of the 7 look-alikes right.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticket_processor.learned import LearnedEngine, bundled_model_path, read_model
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.samples import QUESTIONS_SOURCE, question_rows, questions_path
from ticket_processor.models import Analysis
from ticket_processor.settings import Settings
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data" / "howto_questions.jsonl"
THRESHOLD = Settings.model_fields["confidence_threshold"].default
TAXONOMY = load_taxonomy(None)
ROWS = load_labelled(DATA)
# Of the 30 plain questions, how many the shipped model must triage as how_to at or above the
# threshold: the model before the written questions had 15; the one trained with them, 30.
SURE_HOW_TO = 27
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")


@pytest.fixture(scope="module")
def engine() -> LearnedEngine:
    return LearnedEngine(read_model(bundled_model_path(), TAXONOMY.names), TAXONOMY)


def _triage(engine: LearnedEngine, row: LabelledTicket) -> Analysis:
    prepared = prepare_ticket(row.subject, row.description, max_tokens=2000)
    return engine.analyse(prepared.subject, prepared.body)


def test_the_bundled_model_is_sure_of_plain_how_to_questions(engine: LearnedEngine) -> None:
    questions = [r for r in ROWS if r.labels["category"] == "how_to"]
    assert len(questions) == 30
    assert {r.source.removeprefix("howto-") for r in questions} == set(LANGUAGES)
    sure = []
    for row in questions:
        analysis = _triage(engine, row)
        if analysis.category == "how_to" and analysis.confidence >= THRESHOLD:
            sure.append(row.description)
    assert len(sure) >= SURE_HOW_TO, f"{len(sure)} of 30 sure how_to"


def test_look_alike_questions_keep_the_taxonomy_s_category(engine: LearnedEngine) -> None:
    """A how-do-I question about a password is ``account``, about the card a subscription is
    paid with ``billing``, and so on, as the taxonomy defines them: the written questions must
    not pull every question into ``how_to``."""
    others = [r for r in ROWS if r.labels["category"] != "how_to"]
    assert {r.labels["category"] for r in others} == {
        "account",
        "billing",
        "shipping",
        "refund",
        "bug",
    }
    wrong = [
        (r.description, r.labels["category"], a.category)
        for r in others
        if (a := _triage(engine, r)).category != r.labels["category"]
    ]
    assert not wrong


def test_the_written_questions_are_their_own_labelled_source() -> None:
    rows = question_rows()
    assert len(rows) >= 500
    assert {r.source for r in rows} == {QUESTIONS_SOURCE}
    assert len({r.id for r in rows}) == len(rows)
    assert {r.labels["category"] for r in rows} == set(TAXONOMY.names)
    languages = {
        json.loads(line)["expected"]["language"]
        for line in questions_path().read_text(encoding="utf-8").splitlines()
    }
    assert languages == set(LANGUAGES)
    # The test's questions are not among the training rows.
    trained = {r.description.strip().lower() for r in rows}
    assert not [r.description for r in ROWS if r.description.strip().lower() in trained]
