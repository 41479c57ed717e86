"""Subcategories: parsed from the taxonomy, decided within the category by every engine, named
in tags, note, trailer and routes, scored by ``eval``. A subcategory outside its category is
refused wherever an analysis is built."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import script_module

from ticket_processor.errors import ConfigError, InvalidAnswer
from ticket_processor.helpdesks.freshdesk.records import update_body
from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.model_file import read_model, save_model
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.llm_client.prompt import analysis_schema, coerce_analysis, system_prompt
from ticket_processor.models import (
    Analysis,
    RouteDecision,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
    WriteBack,
    fit_tag,
)
from ticket_processor.tags import plan_change, read_note
from ticket_processor.triage.routing import parse_routes
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy, parse_taxonomy
from ticket_processor.writeback.trailer import parse_trailer

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = Path(str(resources.files("ticket_processor") / "samples" / "taxonomy_subcategories.toml"))
TAXONOMY = load_taxonomy(SAMPLE)

SMALL = """
[categories.billing]
description = "Money."
keywords = ["invoice"]
[categories.billing.sub.refund]
description = "Money back."
phrases = ["money back"]
[categories.billing.sub.invoice_copy]
description = "A copy of an invoice."
phrases = ["copy of * invoice"]
[categories.other]
description = "Anything else."
"""


def labelled_rows() -> list[dict[str, object]]:
    rows = []
    for name in ("bitext.jsonl", "banking77.jsonl"):
        rows += [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines()]
    return rows


def test_the_taxonomy_gives_categories_subcategories() -> None:
    small = parse_taxonomy(SMALL)
    assert small.subcategories_of("billing") == ("refund", "invoice_copy")
    assert small.subcategories_of("other") == ()
    assert small.has_subcategories
    assert small.validate_subcategory("billing", "refund") == "refund"
    assert small.validate_subcategory("billing", None) is None
    with pytest.raises(ValueError, match="not one of category 'other'"):
        small.validate_subcategory("other", "refund")
    assert not load_taxonomy().has_subcategories  # the default stays flat
    assert len(TAXONOMY.subcategory_names) == 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[categories.a]\ndescription = "A"\n[categories.a.sub.B]\ndescription = "x"', "pattern"),
        ('[categories.a]\ndescription = "A"\nsub = 3', "must be tables"),
        ('[categories.a]\ndescription = "A"\n[categories.a.sub.b]\nkeywords = ["x"]', "descr"),
        ('[categories.a]\ndescription = "A"\n[categories.a.sub.b]\ndescription = "x"\nc = 1', "c"),
    ],
)
def test_a_bad_subcategory_is_a_config_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_taxonomy(text + '\n[categories.other]\ndescription = "o"', source="tax.toml")
    assert "tax.toml: categories.a" in str(caught.value)


def test_rules_choose_a_subcategory_of_their_category_only() -> None:
    engine = RulesEngine(parse_taxonomy(SMALL))
    assert engine.analyse("Invoice", "I want my money back").subcategory == "refund"
    assert engine.analyse("Invoice", "a copy of my invoice please").subcategory == "invoice_copy"
    assert engine.analyse("Hello", "I want my money back").subcategory is None  # other: none
    rules = RulesEngine(TAXONOMY)
    for row in labelled_rows():
        analysis = rules.analyse(str(row["subject"]), str(row["description"]))
        assert analysis.subcategory in (None, *TAXONOMY.subcategories_of(analysis.category))


def test_the_llm_answer_is_held_to_the_pairs() -> None:
    schema = analysis_schema(TAXONOMY)
    assert "subcategory" in schema["required"]
    assert None in schema["properties"]["subcategory"]["enum"]
    prompt = system_prompt(TAXONOMY)
    assert "      - request_refund: Request refund." in prompt
    flat = load_taxonomy()
    assert "subcategory" not in system_prompt(flat)  # a flat taxonomy's prompt is unchanged
    assert "subcategory" not in analysis_schema(flat)["properties"]
    answer = {
        "category": "refund",
        "subcategory": "request_refund",
        "urgency": "low",
        "sentiment": "neutral",
        "language": "en",
        "summary": "s",
        "confidence": 0.9,
    }
    assert coerce_analysis(answer, TAXONOMY).subcategory == "request_refund"
    assert coerce_analysis({**answer, "subcategory": None}, TAXONOMY).subcategory is None
    with pytest.raises(InvalidAnswer, match="not one of category 'refund'"):
        coerce_analysis({**answer, "subcategory": "card_arrival"}, TAXONOMY)  # shipping's
    with pytest.raises(InvalidAnswer, match="unexpected keys"):
        coerce_analysis(answer, flat)  # a flat taxonomy: no subcategory key at all


def test_the_learned_engine_decides_within_its_category(tmp_path: Path) -> None:
    rows = load_labelled(DATA / "bitext.jsonl")
    result = train(rows, TAXONOMY, options=TrainOptions(folds=0, embedding_weight=0.0))
    assert "subcategory" in result.model.fields
    path = tmp_path / "model.zip"
    save_model(result.model, path)
    engine = LearnedEngine(read_model(path, TAXONOMY.names), TAXONOMY)
    hits = 0
    for row in load_labelled(DATA / "banking77.jsonl")[:80] + rows[:80]:
        analysis = engine.analyse(row.subject, row.description)
        assert analysis.subcategory in (None, *TAXONOMY.subcategories_of(analysis.category))
        hits += analysis.subcategory == row.labels.get("subcategory")
    assert hits >= 60  # the bitext rows it learned from come back


def test_a_model_without_a_subcategory_head_takes_the_rules_within_its_category() -> None:
    rows = load_labelled(DATA / "bitext.jsonl")
    flat = train(
        rows, TAXONOMY, fields=("category",), options=TrainOptions(folds=0, embedding_weight=0)
    )
    engine = LearnedEngine(flat.model, TAXONOMY)
    analysis = engine.analyse("", "I want to request a refund for my order")
    assert analysis.category == "refund"
    assert analysis.subcategory == "request_refund"


def test_tags_note_trailer_and_routes_carry_it() -> None:
    analysis = Analysis(
        category="refund",
        subcategory="request_refund",
        urgency=Urgency.LOW,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="s",
        confidence=0.9,
    )
    triage = Triage(analysis=analysis, engine="rules")
    plan = plan_change(
        Ticket(id=1),
        triage,
        RouteDecision(),
        (),
        prefix="ai_",
        confidence_threshold=0.5,
        set_priority=True,
        run_id="r1",
    )
    assert "ai_subcategory_request_refund" in plan.additional_tags
    assert "Subcategory: request_refund" in plan.note
    trailer = read_note(plan.note)
    assert trailer is not None
    assert trailer.subcategory == "request_refund"
    old = (
        "ticketbot:v1 answers=first category=bug urgency=low sentiment=neutral language=en "
        "engine=rules"
    )
    parsed = parse_trailer(old)
    assert parsed is not None
    assert parsed.subcategory is None
    book = parse_routes(
        '[[route]]\nwhen = { subcategory = "request_refund" }\nadd_tags = ["refunds_desk"]\n',
        categories=TAXONOMY.names,
        subcategories=TAXONOMY.subcategory_names,
    )
    [route] = book.routes
    assert route.matches(Ticket(id=1), triage)
    other = triage.model_copy(
        update={"analysis": analysis.model_copy(update={"subcategory": None})}
    )
    assert not route.matches(Ticket(id=1), other)
    with pytest.raises(ConfigError, match="unknown refnud"):
        parse_routes(
            '[[route]]\nwhen = { subcategory = "refnud" }\nadd_tags = ["x"]\n',
            subcategories=TAXONOMY.subcategory_names,
        )


def test_eval_scores_the_subcategory(tmp_path: Path) -> None:
    predictions = tmp_path / "p.jsonl"
    result = invoke(
        "eval",
        str(DATA / "bitext.jsonl"),
        "--engine",
        "rules",
        "--taxonomy",
        str(SAMPLE),
        "--json",
        "--predictions",
        str(predictions),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    pooled = report["fields"]["subcategory"]["scores"]["pooled"]
    assert pooled["rows"] == 480
    assert 0.1 < pooled["macro_f1"] < 1.0
    lines = [json.loads(line) for line in predictions.read_text("utf-8").splitlines()]
    assert any("subcategory" in line for line in lines)
    for line in lines:
        if "subcategory" in line:
            assert line["subcategory"] in TAXONOMY.subcategories_of(line["category"])


def test_a_tag_longer_than_freshdesk_takes_goes_out_shortened_the_same_every_time() -> None:
    long = "ai_subcategory_balance_not_updated_after_bank_transfer"
    short = fit_tag(long, 32)
    assert len(short) == 32
    assert short.startswith("ai_subcategory_balance_no_")
    assert short == fit_tag(long, 32)
    assert fit_tag("ai_subcategory_balance_not_updated_after_cheque_or_cash_deposit", 32) != short
    assert fit_tag("ai_category_refund", 32) == "ai_category_refund"
    current = Ticket(id=1, tags=("vip", short))
    change = WriteBack(ticket_id=1, additional_tags=("ai_processed",), remove_tags=(long,))
    assert update_body(change, current)["tags"] == ["vip", "ai_processed"]  # a revert finds it
    added = update_body(WriteBack(ticket_id=1, additional_tags=(long,)), Ticket(id=1))
    assert added["tags"] == [short]


def test_the_shipped_subcategory_taxonomy_is_what_its_script_writes() -> None:
    """It is the default taxonomy's cues plus the subcategories': a change to either (the
    default's cues in six languages) must reach it by running the script again."""
    script = script_module("figures_subcategories")
    assert script.OUT.read_text("utf-8") == script.render()
