"""A learned model's calibration decides whether its triage is sure enough to answer, on each
sandbox, through the CLI, without an LLM.

The bundled model reads its category's probability against ``TICKETBOT_CONFIDENCE_THRESHOLD``;
the run here sets it to 0.99, above both plain questions' probabilities (at the default 0.5 the
bundled model is sure of both), so that threshold alone refuses both as ``triage_unsure``. A
model whose file carries the category's calibration and apply threshold (as ``ticketbot
learn`` writes one) is read through them instead: the question its calibration puts at or above
the threshold is answered with the right article, the one it puts below is not, and ``answers
explain`` names the guard. The calibration here is made for the test, its one step between the
two questions' probabilities, so the test holds whatever the bundled model's weights."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre
from support.cli import invoke

from ticket_processor.learned import LearnedEngine, bundled_model_path, load_model, save_model
from ticket_processor.sandbox.desks import Desk
from ticket_processor.triage.confidence import Calibration
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

SURE = {
    "subject": "Invite a teammate",
    "description": "How do I invite a teammate to our workspace?",
    "kind": "answerable",
}
UNSURE = {
    "subject": "Offline",
    "description": "Does the mobile app work offline?",
    "kind": "answerable",
}
APPLY_AT = 0.95
# The run's TICKETBOT_CONFIDENCE_THRESHOLD: above both questions' raw probabilities, whatever the
# bundled model's weights, so only the calibration can let one through.
RAW_THRESHOLD = 0.99


def _calibrated_model(path: Path) -> None:
    """The bundled model, its category calibrated with one step between the two questions'
    probabilities: the surer question's at 0.97 (applied at 0.95), the other's at 0.3."""
    taxonomy = load_taxonomy(None)
    model, why = load_model(bundled_model_path(), taxonomy.names)
    assert model is not None, why
    engine = LearnedEngine(model, taxonomy)
    p = []
    for case in (SURE, UNSURE):
        prepared = prepare_ticket(case["subject"], case["description"], max_tokens=2000)
        analysis = engine.analyse(prepared.subject, prepared.body)
        assert analysis.category == "how_to"
        assert analysis.confidence < RAW_THRESHOLD  # refused by it without the calibration
        p.append(analysis.confidence)
    assert p[0] > p[1]
    step = Calibration((0.0, (p[0] + p[1]) / 2), (0.3, 0.97))
    category = replace(
        model.fields["category"], calibration=step, apply_at=APPLY_AT, calibrated_on="sources"
    )
    save_model(replace(model, fields={**model.fields, "category": category}), path)


@pytest.mark.desk(configure=True)
def test_the_question_the_calibration_makes_sure_is_answered_and_the_other_is_not(
    desk: Desk, tmp_path: Path
) -> None:
    model = tmp_path / "calibrated.zip"
    _calibrated_model(model)
    articles = publish_help_centre(desk)
    ids = create_tickets(desk, [SURE, UNSURE])
    env = {
        "TICKETBOT_ANSWER_MODE": "send",
        "TICKETBOT_LEARNED_MODEL": str(model),
        "TICKETBOT_CONFIDENCE_THRESHOLD": str(RAW_THRESHOLD),
    }
    result = invoke("run", "--engine", "llm", env=env)  # no LLM configured: the learned model
    assert result.exit_code == 0, result.output

    mails = {m["ticket_id"]: m for m in outbox(desk)}
    assert sorted(mails) == [ids[0]], mails
    linked = {int(x) for x in re.findall(r"/articles?/(\d+)", mails[ids[0]]["body"])}
    assert linked & articles["invite-user"]
    shown = invoke("answers", "explain", str(ids[1]), env=env)
    assert shown.exit_code == 0, shown.output
    assert "not answered: triage_unsure" in shown.output
