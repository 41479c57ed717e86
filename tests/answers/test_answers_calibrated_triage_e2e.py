"""A send-mode first run answers a question its article answers however unsure the triage is
of the ticket's category, on each sandbox, through the CLI, without an LLM.

Whether to answer rests on the question and the article (the calibration's article, confirmed
by the passage vectors) and on the guards, not on the triage's confidence in the category. The
learned model here is the bundled one with its category calibrated far under its apply
threshold for every ticket (as ``ticketbot learn`` writes a calibration; made for the test, so
it holds whatever the bundled model's weights): the run before answered none of them
(``triage_unsure``). The two plain questions get their articles; the double charge, close to
the refunds article, still gets no reply (``needs_person``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, linked_articles, outbox, publish_help_centre
from support.cli import invoke

from ticket_processor.learned import bundled_model_path, load_model, save_model
from ticket_processor.sandbox.desks import Desk
from ticket_processor.triage.confidence import Calibration
from ticket_processor.triage.taxonomy import load_taxonomy

INVITE = {
    "subject": "Invite a teammate",
    "description": "How do I invite a teammate to our workspace?",
    "kind": "answerable",
}
OFFLINE = {
    "subject": "Offline",
    "description": "Does the mobile app work offline?",
    "kind": "answerable",
}
TWICE = {
    "subject": "Charged twice",
    "description": "I was charged twice for my subscription this month, please refund one.",
    "kind": "person",
}
APPLY_AT = 0.95


def _unsure_model(path: Path) -> None:
    """The bundled model, its category's calibration 0.3 whatever the probability: under its
    apply threshold (0.95) for every ticket."""
    taxonomy = load_taxonomy(None)
    model, why = load_model(bundled_model_path(), taxonomy.names)
    assert model is not None, why
    flat = Calibration((0.0,), (0.3,))
    category = replace(
        model.fields["category"], calibration=flat, apply_at=APPLY_AT, calibrated_on="sources"
    )
    save_model(replace(model, fields={**model.fields, "category": category}), path)


@pytest.mark.desk(configure=True)
def test_a_question_its_article_answers_is_sent_whatever_the_triages_confidence(
    desk: Desk, tmp_path: Path
) -> None:
    model = tmp_path / "unsure.zip"
    _unsure_model(model)
    articles = publish_help_centre(desk)
    ids = create_tickets(desk, [INVITE, OFFLINE, TWICE])
    env = {"TICKETBOT_ANSWER_MODE": "send", "TICKETBOT_LEARNED_MODEL": str(model)}
    result = invoke("run", "--engine", "llm", env=env)  # no LLM configured: the learned model
    assert result.exit_code == 0, result.output

    mails = {m["ticket_id"]: m for m in outbox(desk)}
    assert sorted(mails) == ids[:2], mails
    for ticket_id, key in zip(ids[:2], ("invite-user", "mobile-offline"), strict=True):
        linked = linked_articles(mails[ticket_id]["body"])
        assert linked & articles[key], (key, mails[ticket_id]["body"])
    shown = invoke("answers", "explain", str(ids[2]), env=env)
    assert shown.exit_code == 0, shown.output
    assert "not answered: needs_person" in shown.output
