"""The closed language vocabulary: only ISO 639-1 codes become tags.

A hostile or confused model answering ``language: zz`` must not mint ``ai_lang_zz``: the
analysis says ``und`` (undetermined) instead, whichever engine or path built it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import PREFIX, configure, create, triaged_events

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread
from ticket_processor.llm_client.prompt import coerce_analysis, language_code
from ticket_processor.models import (
    ISO_639_1,
    UNDETERMINED,
    Analysis,
    Sentiment,
    Urgency,
    closed_language,
)
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin
from ticket_processor.triage.language import STOPWORDS
from ticket_processor.triage.taxonomy import load_taxonomy

ANSWER = {
    "category": "billing",
    "urgency": "medium",
    "sentiment": "neutral",
    "language": "en",
    "summary": "Customer was charged twice.",
    "confidence": 0.9,
}


def test_the_list_is_iso_639_1() -> None:
    assert len(ISO_639_1) == 183
    assert {"en", "de", "fr", "zh", "ja", "he", "id", "yi", "zu", "aa"} <= ISO_639_1
    assert not {"zz", "xx", "qq", "iw", "in", "ji", "sh", "und"} & ISO_639_1
    assert set(STOPWORDS) <= ISO_639_1  # the rules' guesses are inside the vocabulary


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-US", "en"),
        ("pt_BR", "pt"),
        (" de ", "de"),
        ("iw", "he"),
        ("zz", UNDETERMINED),
        ("xx", UNDETERMINED),
        ("qq", UNDETERMINED),
        ("vip", UNDETERMINED),
        ("", UNDETERMINED),
        ("e", UNDETERMINED),
    ],
)
def test_closed_language(given: str, expected: str) -> None:
    assert closed_language(given) == expected


def test_llm_coercion_maps_names_and_refuses_made_up_codes() -> None:
    assert language_code("English") == "en"
    assert language_code("Klingon") == UNDETERMINED
    taxonomy = load_taxonomy()
    assert coerce_analysis({**ANSWER, "language": "zz"}, taxonomy).language == UNDETERMINED
    assert coerce_analysis({**ANSWER, "language": "fr-CA"}, taxonomy).language == "fr"


def test_every_analysis_is_closed_whoever_builds_it() -> None:
    # A cached analysis from an older version, or any other builder, goes through the model.
    built = Analysis(
        category="billing",
        urgency=Urgency.MEDIUM,
        sentiment=Sentiment.NEUTRAL,
        language="zz",
        summary="s",
        confidence=0.5,
    )
    assert built.language == UNDETERMINED


@pytest.mark.parametrize("json_schema", [True, False], ids=["json_schema", "json_object"])
def test_a_hostile_language_answer_becomes_und_end_to_end(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path, json_schema: bool
) -> None:
    config = StandinConfig(seed=9, supports_json_schema=json_schema)
    config.script = [{**ANSWER, "language": code} for code in ("zz", "xx", "qq", "de")]
    with serve_in_thread(SandboxConfig(seed=9)) as sandbox, serve_standin(config) as standin:
        log_dir = configure(
            monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url, workers=1
        )
        ids = create(
            sandbox,
            [{"subject": f"Charged twice {n}", "comment": {"body": f"case {n}"}} for n in range(4)],
        )
        result = invoke("run")
        tags = {i: set(sandbox.store.get(i)["tags"]) for i in ids}

    assert result.exit_code == 0, result.output
    triaged = triaged_events(log_dir)
    languages = sorted(triaged[i]["language"] for i in ids)
    assert languages == ["de", UNDETERMINED, UNDETERMINED, UNDETERMINED]
    assert not any(triaged[i]["fallback"] for i in ids)  # accepted, with the language closed
    minted = {t for i in ids for t in tags[i] if t.startswith(f"{PREFIX}lang_")}
    assert minted == {f"{PREFIX}lang_de", f"{PREFIX}lang_{UNDETERMINED}"}
