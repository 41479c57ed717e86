"""The LLM stand-in answers as the keyword rules do (README: "The stand-in answers with the
keyword rules' analysis"), with the shipped taxonomy and with the sample taxonomy that has
subcategories: category, subcategory, urgency and sentiment, ticket for ticket."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.llm import LLMAnalyser
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

SAMPLES = Path(__file__).resolve().parents[2] / "ticket_processor" / "samples"


@pytest.mark.parametrize("taxonomy_file", [None, "taxonomy_subcategories.toml"])
def test_the_standin_decides_as_the_rules_subcategories_too(
    standin: RunningStandin, taxonomy_file: str | None
) -> None:
    taxonomy = load_taxonomy(SAMPLES / taxonomy_file if taxonomy_file else None)
    rules = RulesEngine(taxonomy)
    bot = LLMAnalyser(models=("stand-in",), taxonomy=taxonomy, api_key=None, base_url=standin.url)
    differ = []
    try:
        for sample in load_samples()[:40]:
            ticket = prepare_ticket(sample.subject, sample.description)
            said = bot.analyse(ticket).analysis
            ruled = rules.analyse(ticket.subject, ticket.body)
            mine = (said.category, said.subcategory, said.urgency, said.sentiment)
            theirs = (ruled.category, ruled.subcategory, ruled.urgency, ruled.sentiment)
            if mine != theirs:
                differ.append((sample.subject, mine, theirs))
    finally:
        bot.close()
    assert differ == []
    if taxonomy_file:  # the sample taxonomy's subcategories are really decided
        assert any(rules.analyse(s.subject, s.description).subcategory for s in load_samples())
