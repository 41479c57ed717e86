"""The examples engine: a taxonomy's own categories learned from its descriptions and examples
(``learned.examples``), with no LLM and no labelled tickets.

The taxonomy (``tests/data/examples_taxonomy.toml``) and the tickets it is scored on
(``tests/data/examples_tickets.jsonl``, English, German and Spanish, written apart from the
examples) are the project's own writing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticket_processor.commands.common import load
from ticket_processor.errors import ConfigError
from ticket_processor.learned.embed import Encoder
from ticket_processor.learned.examples.cache import cache_path, examples_engine, examples_model
from ticket_processor.learned.examples.fit import (
    drop_marks,
    example_rows,
    fit_examples,
    taxonomy_key,
)
from ticket_processor.learned.scoring import score_field
from ticket_processor.run.engines import EXAMPLES_NOTE, build_chain
from ticket_processor.triage.taxonomy import load_taxonomy, parse_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"
TAXONOMY_FILE = DATA / "examples_taxonomy.toml"
TAXONOMY = load_taxonomy(TAXONOMY_FILE)
ENCODER = Encoder()


def _tickets() -> list[dict[str, object]]:
    lines = (DATA / "examples_tickets.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("examples-state")


def test_a_category_and_a_subcategory_may_list_examples() -> None:
    taxonomy = parse_taxonomy(
        """
        [categories.billing]
        description = "Invoices and payments."
        examples = ["Where is my invoice?"]
        [categories.billing.sub.refund]
        description = "Money back."
        examples = ["I want my money back."]
        [categories.other]
        description = "Anything else."
        """
    )
    assert taxonomy.has_examples
    assert not load_taxonomy(None).has_examples
    rows = example_rows(taxonomy)
    labelled = [(r.description, r.labels) for r in rows]
    assert ("Where is my invoice?", {"category": "billing"}) in labelled
    assert ("I want my money back.", {"category": "billing", "subcategory": "refund"}) in labelled
    # Each description is one example more.
    assert ("Anything else.", {"category": "other"}) in labelled


def test_an_example_must_be_text() -> None:
    with pytest.raises(ConfigError, match="examples"):
        parse_taxonomy('[categories.other]\ndescription = "x"\nexamples = [""]\n')


def test_english_examples_classify_german_and_spanish_tickets(state: Path) -> None:
    engine = examples_engine(TAXONOMY, state, encoder=ENCODER)
    by_language: dict[str, list[tuple[str, str]]] = {}
    for row in _tickets():
        labels = row["labels"]
        assert isinstance(labels, dict)
        predicted = engine.analyse("", str(row["description"])).category
        by_language.setdefault(str(row["source"]), []).append((labels["category"], predicted))
    assert set(by_language) == {"bike-en", "bike-de", "bike-es"}
    for language, pairs in by_language.items():
        score = score_field([label for label, _ in pairs], [p for _, p in pairs]).macro_f1
        assert score >= 0.85, (language, score, pairs)


def test_its_confidence_is_calibrated_on_the_examples(state: Path) -> None:
    result = fit_examples(TAXONOMY, encoder=ENCODER)
    category = result.model.fields["category"]
    assert category.calibration is not None
    assert category.apply_at is not None
    # Every example and description was predicted by a model that did not see it.
    assert len(result.fields["category"].cv_probability) == len(example_rows(TAXONOMY))
    engine = examples_engine(TAXONOMY, state, encoder=ENCODER)
    _, confidence, apply_at = engine.assess("", "Where is my parcel? It is a week late.")
    assert set(confidence) == {"category"}
    assert set(apply_at) == {"category"}


def test_the_model_is_cached_by_the_taxonomys_hash(tmp_path: Path) -> None:
    _, fitted = examples_model(TAXONOMY, tmp_path, encoder=ENCODER)
    assert fitted
    assert cache_path(tmp_path, TAXONOMY).exists()
    _, fitted = examples_model(TAXONOMY, tmp_path, encoder=ENCODER)
    assert not fitted
    text = TAXONOMY_FILE.read_text("utf-8").replace(
        '"Do you sell gift cards?",', '"Do you sell gift cards?", "Is the shop dog friendly?",'
    )
    edited = parse_taxonomy(text)
    assert taxonomy_key(edited) != taxonomy_key(TAXONOMY)
    _, fitted = examples_model(edited, tmp_path, encoder=ENCODER)
    assert fitted
    assert [p.name for p in tmp_path.glob("examples-model-*.zip")] == [
        cache_path(tmp_path, edited).name
    ]


def test_without_an_llm_the_chain_puts_it_before_the_rules(tmp_path: Path) -> None:
    settings = load({"taxonomy_file": TAXONOMY_FILE, "state_dir": tmp_path})
    choice = build_chain(settings, TAXONOMY, "llm", workers=1)
    assert choice.names == ["learned", "rules"]
    assert EXAMPLES_NOTE in choice.notes
    assert cache_path(tmp_path, TAXONOMY).exists()  # fitted at start, offline first


def test_a_model_learned_for_the_taxonomy_takes_over(tmp_path: Path) -> None:
    from ticket_processor.learned import MODEL_FILE_NAME, save_model

    save_model(fit_examples(TAXONOMY, encoder=ENCODER).model, tmp_path / MODEL_FILE_NAME)
    settings = load({"taxonomy_file": TAXONOMY_FILE, "state_dir": tmp_path})
    choice = build_chain(settings, TAXONOMY, "llm", workers=1)
    assert choice.names == ["learned", "rules"]
    assert EXAMPLES_NOTE not in choice.notes
    assert not cache_path(tmp_path, TAXONOMY).exists()


def test_question_and_exclamation_marks_are_not_read(state: Path) -> None:
    # Spanish opens a question with "¿" and English examples never do: the engine reads the
    # examples and the tickets without such marks, so a ticket's marks do not move its category
    # or its confidence.
    engine = examples_engine(TAXONOMY, state, encoder=ENCODER)
    asked = engine.predict("", "¿Dónde está mi paquete? ¡Lleva una semana de retraso!")
    told = engine.predict("", "Dónde está mi paquete Lleva una semana de retraso")
    assert asked == told
    assert asked["category"].label == "delivery"
    assert drop_marks("¿Dónde?\n¡Ya!  Gracias") == "Dónde\nYa Gracias"
