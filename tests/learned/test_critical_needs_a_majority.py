"""A critical urgency pages people, so the learned engine takes it only where the urgency
head gives it most of its probability; a plurality falls back to the rules' reading. The
bundled model read "I forgot my password" as critical at about 0.35 (high about 0.28), on
every first run; a real run on each sandbox now leaves such a ticket at the rules' urgency,
while a ticket the head is sure is critical stays critical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.learned import bundled_model_path
from ticket_processor.learned.engine import CRITICAL_AT, LearnedEngine
from ticket_processor.learned.model_file import load_model
from ticket_processor.models.analysis import Urgency
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.triage.taxonomy import load_taxonomy

PASSWORDS = [
    ("Forgot my password", "I forgot my password and cannot log in."),
    ("Password", "I forgot my password and cannot log in to my account."),
    ("forgot my password", "forgot my password"),
]
SAMPLES = Path(__file__).resolve().parents[2] / "ticket_processor" / "samples" / "tickets.jsonl"


def engine() -> LearnedEngine:
    taxonomy = load_taxonomy()
    model, reason = load_model(bundled_model_path(), taxonomy.names)
    assert model is not None, reason
    return LearnedEngine(model, taxonomy)


def test_a_forgotten_password_is_not_critical_and_a_sure_critical_still_is() -> None:
    learned = engine()
    for subject, body in PASSWORDS:
        p = learned.predict(subject, body)["urgency"]
        assert p.label == "critical"  # what the head says
        assert p.probability < CRITICAL_AT
        assert learned.analyse(subject, body).urgency is not Urgency.CRITICAL
    rows = [json.loads(line) for line in SAMPLES.read_text().splitlines() if line.strip()]
    critical = [r for r in rows if r["expected"]["urgency"] == "critical"]
    assert critical
    for row in critical:  # the head is sure of these: the guard leaves them
        assert learned.analyse(row["subject"], row["description"]).urgency is Urgency.CRITICAL


@pytest.mark.desk(configure=True)
def test_a_run_with_the_bundled_model_does_not_make_a_password_reset_critical(
    desk: Desk,
) -> None:
    ids = desk.create([NewTicket(subject, body) for subject, body in PASSWORDS])
    result = invoke("run", "--engine", "learned")
    assert result.exit_code == 0, result.output
    for ticket_id in ids:
        tags = desk.snapshot(ticket_id).tags
        assert "ai_processed" in tags, tags
        assert "ai_urgency_critical" not in tags, tags
