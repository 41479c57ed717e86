"""``ticketbot eval`` reports the share of notes in the agent's language: the note a run would
write for each row, read back by the stopword guess. Without an LLM a German-speaking team's
notes about English tickets keep the customer's English summary, and the share says so; with the
stand-in LLM the note is asked for in German (the stand-in marks, it does not translate)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.evaluation.note_language import prose_language
from ticket_processor.models import Analysis, Sentiment, Triage, Urgency
from ticket_processor.sandbox.llm_standin.answers import iter_requests
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.writeback.note import NoteLanguage, render_note

GERMAN = [  # (subject, description, category)
    (
        "Rechnung doppelt",
        "Ich habe die Rechnung für März zweimal bezahlt und bitte um eine Erstattung.",
        "billing",
    ),
    (
        "Passwort",
        "Ich kann mich nicht mehr anmelden, das Passwort wird nicht akzeptiert.",
        "account",
    ),
    (
        "Lieferung",
        "Die Lieferung ist seit einer Woche unterwegs und noch nicht angekommen.",
        "shipping",
    ),
]


def _file(tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / "rows.jsonl"
    lines = [
        json.dumps(
            {
                "id": f"r{i}",
                "source": "own",
                "subject": s,
                "description": d,
                "labels": {"category": c},
            },
            ensure_ascii=False,
        )
        for i, (s, d, c) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_note_reads_as_the_language_of_its_prose_not_of_its_trailer() -> None:
    analysis = Analysis(
        category="billing",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEGATIVE,
        language="de",
        summary="Der Kunde hat die Rechnung zweimal bezahlt und bittet um eine Erstattung.",
        confidence=0.9,
    )
    note = render_note(
        Triage(analysis=analysis, engine="rules"),
        priority=None,
        run_id="r",
        language=NoteLanguage("de"),
    )
    assert prose_language(note) == "de"
    english = analysis.model_copy(
        update={"summary": "The customer paid the invoice twice and wants it back."}
    )
    note = render_note(
        Triage(analysis=english, engine="rules"),
        priority=None,
        run_id="r",
        language=NoteLanguage("en"),
    )
    assert prose_language(note) == "en"


def test_eval_reports_the_share_of_notes_in_the_agents_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _file(tmp_path, GERMAN)
    monkeypatch.setenv("TICKETBOT_AGENT_LANGUAGE", "de")
    result = invoke("eval", str(path), "--engine", "rules", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["note_language"], data["note_language_share"]) == ("de", 1.0)
    # The same German tickets for an English-reading team: the notes carry the customers'
    # German summaries (no LLM to write them in English), and the share says so.
    monkeypatch.setenv("TICKETBOT_AGENT_LANGUAGE", "en")
    result = invoke("eval", str(path), "--engine", "rules", "--json")
    assert json.loads(result.stdout)["note_language_share"] < 1.0
    table = invoke("eval", str(path), "--engine", "rules")
    assert "notes in the agent's language (en): " in table.stdout


def test_eval_with_an_llm_asks_for_the_note_in_the_agents_language(
    tmp_path: Path, make_standin: Callable[..., RunningStandin], monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make_standin()
    for name, value in {
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_AGENT_LANGUAGE": "fr",
    }.items():
        monkeypatch.setenv(name, value)
    result = invoke("eval", str(_file(tmp_path, GERMAN)), "--engine", "llm", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["note_language"] == "fr"
    # Each message's triage call asks for its translation and summary in French: no call more.
    asked = [
        body
        for body in llm.received
        if "ISO 639-1 code fr" in json.dumps(body.get("response_format"))
        and "summary_translation" in json.dumps(body.get("response_format"))
    ]
    assert len(asked) == len(llm.received) == len(GERMAN)
    assert not [text for text in iter_requests(llm) if "<translate" in text]
