"""The note's texts in the agents' language, asked in the triage call (``llm_client.prompt``)
and used by the note instead of a second call (``writeback.translation``): pure, plain data.

The schema grows only by the keys asked for; an answer that leaves them out is still an
analysis (the note then asks apart, counted); keys not asked for are dropped, not an error; the
note takes the triage call's text only in the language it was asked in.
"""

from __future__ import annotations

from ticket_processor.llm_client.prompt import (
    analysis_schema,
    coerce_analysis,
    system_prompt,
)
from ticket_processor.models import AgentText, Analysis, Sentiment, Triage, Urgency
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.writeback.translation import NoteTranslations

TAXONOMY = load_taxonomy()
ANSWER = {
    "category": "billing",
    "urgency": "high",
    "sentiment": "negative",
    "language": "fr",
    "summary": "Invoice paid twice.",
    "confidence": 0.9,
}
MESSAGE = "Facture payée deux fois\n\nMerci de me rembourser."


def test_the_schema_grows_only_by_the_keys_asked_for() -> None:
    plain = analysis_schema(TAXONOMY)
    assert "translation" not in plain["properties"]
    english = analysis_schema(TAXONOMY, agent_language="en")
    german = analysis_schema(TAXONOMY, agent_language="de")
    assert set(english["properties"]) - set(plain["properties"]) == {"translation"}
    assert set(german["properties"]) - set(plain["properties"]) == {
        "translation",
        "summary_translation",
    }
    assert german["required"] == list(german["properties"])  # strict: every key answered
    assert "code de" in german["properties"]["translation"]["description"]
    prompt = system_prompt(TAXONOMY, agent_language="de")
    assert '"translation": the customer\'s text translated into German' in prompt
    assert "summary_translation" in prompt
    assert "translation" not in system_prompt(TAXONOMY)


def test_an_answer_carries_the_agents_texts_when_asked() -> None:
    answer = {**ANSWER, "translation": " Rechnung doppelt bezahlt ", "summary_translation": "X  Y"}
    found = coerce_analysis(answer, TAXONOMY, agent_language="de")
    assert found.for_agents == AgentText(
        language="de", message="Rechnung doppelt bezahlt", summary="X Y"
    )


def test_an_answer_without_them_is_still_an_analysis_and_unasked_ones_are_dropped() -> None:
    assert coerce_analysis(ANSWER, TAXONOMY, agent_language="de").for_agents is None
    not_text = {**ANSWER, "translation": ["a", "list"]}
    assert coerce_analysis(not_text, TAXONOMY, agent_language="de").for_agents is None
    unasked = {**ANSWER, "translation": "Rechnung", "summary_translation": "Rechnung"}
    assert coerce_analysis(unasked, TAXONOMY).for_agents is None


def _llm_triage(given: AgentText | None) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEGATIVE,
        language="fr",
        summary="Invoice paid twice.",
        confidence=0.9,
        for_agents=given,
    )
    return Triage(analysis=analysis, engine="llm", model="stand-in")


def _recording() -> tuple[list[tuple[str, str]], NoteTranslations]:
    asked: list[tuple[str, str]] = []

    def translate(text: str, language: str) -> str:
        asked.append((text, language))
        return f"<{language}> {text}"

    return asked, NoteTranslations(translate, default_language="de")


def test_the_note_takes_the_triage_calls_texts_and_asks_nothing() -> None:
    asked, notes = _recording()
    given = AgentText(language="de", message="Rechnung doppelt", summary="Doppelt bezahlt.")
    found = notes.language(7, _llm_triage(given), None, MESSAGE)
    assert (found.message, found.summary) == ("Rechnung doppelt", "Doppelt bezahlt.")
    assert asked == []
    assert notes.counts() == {"translations_given": 2, "translations_asked": 0}


def test_without_them_or_in_another_language_the_note_asks_apart_and_counts_it() -> None:
    asked, notes = _recording()
    notes.language(7, _llm_triage(None), None, MESSAGE)
    assert asked == [(MESSAGE, "de"), ("Invoice paid twice.", "de")]
    # Given in German, but the ticket's group reads Dutch: asked in Dutch.
    given = AgentText(language="de", message="Rechnung doppelt", summary="Doppelt bezahlt.")
    dutch = notes.language(8, _llm_triage(given), "nl", MESSAGE)
    assert dutch.message == f"<nl> {MESSAGE}"
    assert notes.counts() == {"translations_given": 0, "translations_asked": 4}


def test_a_triage_call_that_gives_the_message_back_made_no_translation() -> None:
    asked, notes = _recording()
    given = AgentText(language="de", message=MESSAGE.upper(), summary=None)
    found = notes.language(7, _llm_triage(given), None, MESSAGE)
    assert found.message is None
    assert found.missing == "unchanged"
    assert asked == [("Invoice paid twice.", "de")]  # the summary was not given: asked apart


def test_a_reply_takes_its_triage_calls_translation() -> None:
    asked, notes = _recording()
    given = AgentText(language="de", message="Immer noch nichts!")
    found = notes.reply(31, "fr", None, "Toujours rien !", given)
    assert found.message == "Immer noch nichts!"
    assert asked == []
