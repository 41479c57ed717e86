"""A per-ticket feature's own words in the note and its own field in the triage API, on each
sandbox, with nothing shared naming it: the step keeps its note section's words in its folder
(``words/<language>.toml``, read by ``writeback.wording.folder_wording``), and declares its API
field beside the step (``steps.extras.StepExtras`` in its ``steps.feature.Feature``), as a
feature's line in ``features.registry`` would add it. The cron run's note has the section in
the agents' language; ``serve``'s triage API answers the field, and ``/openapi.json`` types it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator
from pydantic import BaseModel, Field
from support.cli import invoke
from support.serving import TOKEN, serve_env, serving

from ticket_processor.features.registry import register, unregister
from ticket_processor.models import Ticket, Triage, WriteBack
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.steps.extras import StepExtras
from ticket_processor.steps.feature import Feature, NoValues
from ticket_processor.steps.protocol import Step
from ticket_processor.triage.prepare import PreparedTicket
from ticket_processor.writeback.wording import folder_wording

# The test step's folder: its words are there, nowhere in the package.
WORDS = "support.seam_words"
TICKET = NewTicket("Export to CSV", "Hello, how do I export my contacts to a CSV file?")


class SeamWord(BaseModel):
    word: str
    number: int


class WordStep(Step):
    """Puts a section of its own words in each ticket's note, and a word in the API answer."""

    name = "seam_words"

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        if not writeback.note:
            return writeback
        words = folder_wording(WORDS, language)
        section = f"{words.say('title')}\n- {words.say('line', word='Kiwi', number=7)}"
        return writeback.model_copy(update={"note": f"{writeback.note}\n\n{section}"})

    def api_fields(self, prepared: PreparedTicket, triage: Triage) -> dict[str, Any]:
        return {"seam_words": [{"word": "Kiwi", "number": 7}]}


EXTRAS = StepExtras(api_fields={"seam_words": (list[SeamWord], Field(default_factory=list))})


@pytest.fixture
def word_step() -> Iterator[WordStep]:
    """The features' registry with the test step's feature last (its step and its extras), as
    a feature's line there adds them."""
    step = WordStep()
    register(Feature("seam_words", NoValues, steps=lambda values, run: [step], extras=EXTRAS))
    yield step
    unregister("seam_words")


@pytest.mark.desk(seed=None, configure=True)
def test_a_listed_steps_own_words_are_in_the_note_in_the_agents_language(
    desk: Desk, word_step: WordStep
) -> None:
    [ticket_id] = desk.create([TICKET])
    result = invoke("run", "--engine", "rules", env={"TICKETBOT_AGENT_LANGUAGE": "de"})
    assert result.exit_code == 0, result.output
    [note] = desk.snapshot(ticket_id).notes
    assert "Das Wort der Naht:\n- Kiwi (Naht 7)" in note
    assert "seam's word" not in note  # the German table, not the English one


@pytest.mark.desk(seed=None, unlimited=True, configure=True)
def test_a_listed_steps_field_is_in_the_triage_api_and_its_description(
    desk: Desk, word_step: WordStep, tmp_path: Path
) -> None:
    env = serve_env(
        {k: v for k, v in os.environ.items() if k.startswith(("ZEN", "FRESH", "TICKETBOT"))},
        tmp_path,
    )
    with serving(env) as server:
        ask = {"subject": TICKET.subject, "description": TICKET.body}
        answer = server.client.post(
            f"{server.url}/api/v1/triage",
            json=ask,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 200, answer.text
        schema = server.client.get(f"{server.url}/openapi.json").json()
    found = answer.json()
    assert found["seam_words"] == [{"word": "Kiwi", "number": 7}]
    answer_schema = schema["components"]["schemas"]["TriageAnswer"]
    assert answer_schema["properties"]["seam_words"]["items"] == {
        "$ref": "#/components/schemas/SeamWord"
    }
    OAS31Validator({**answer_schema, "components": schema["components"]}).validate(found)
    wrong = {**found, "seam_words": [{"word": "Kiwi", "number": "seven"}]}
    with pytest.raises(ValidationError, match="seven"):  # typed: a wrong shape fails it
        OAS31Validator({**answer_schema, "components": schema["components"]}).validate(wrong)
