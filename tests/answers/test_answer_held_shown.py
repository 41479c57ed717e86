"""The dashboard's ticket page section for a reply the run held back (``AnswersStep.shown``):
the reason in words, without the figures behind it that only ``answers explain`` has; none
for a planned answer. A real run's section, on both sandboxes, is
``test_answers_person_asked_e2e.py``'s."""

from __future__ import annotations

from typing import cast

import pytest

from ticket_processor.answers.answering import RunAnswers
from ticket_processor.answers.explain import WHY
from ticket_processor.answers.step import AnswersStep

STEP = AnswersStep(cast(RunAnswers, None))  # ``shown`` reads the stored fields alone


def test_a_reply_held_back_for_want_of_an_article_is_said_in_words() -> None:
    held = STEP.shown({"answer_refused": "no_article", "answer_mode": "send"})
    assert held is not None
    [row] = held.rows
    assert row.label == "no_article: no article to weigh: the search found none"
    assert (row.value, row.detail) == ("no_article", "answer mode send")
    assert not held.source  # report still counts the ticket among the articles to write


@pytest.mark.parametrize("reason", sorted(WHY))
def test_every_reason_is_said_with_no_placeholder_left(reason: str) -> None:
    held = STEP.shown({"answer_refused": reason, "answer_mode": "auto"})
    assert held is not None
    assert held.rows[0].label.startswith(f"{reason}: ")
    assert "{" not in held.rows[0].label


def test_a_planned_answer_or_no_decision_shows_no_section() -> None:
    assert STEP.shown({"answer": "Hello", "answer_state": "planned"}) is None
    assert STEP.shown({}) is None
