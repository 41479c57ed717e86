"""The note in the agent's language (``writeback.wording``, ``writeback.note``): pure, plain data.

Every language's table has every key and the same placeholders; a note in German has German
labels and sentences and still reads back as ticketbot's (header and trailer stay as machines
read them); a French message gets its translation when there is one, and otherwise the note
names its language and says no translation is available, never a guess.
"""

from __future__ import annotations

import string
import tomllib
from importlib import resources

import numpy as np
import pytest

from ticket_processor.models import (
    Analysis,
    RiskVerdict,
    RouteDecision,
    Sentiment,
    Suggestion,
    Triage,
    Urgency,
)
from ticket_processor.risk.head import WORDS_REASON
from ticket_processor.risk.inputs import FEATURES, RiskInputs
from ticket_processor.risk.rules import reasons_of
from ticket_processor.spam.cues import SenderCues
from ticket_processor.spam.gate import verdict
from ticket_processor.spam.head import CLASSES, SpamHead, SpamScore
from ticket_processor.writeback.note import SECTION_CHARS, NoteLanguage, read_note, render_note
from ticket_processor.writeback.translation import NoteTranslations
from ticket_processor.writeback.wording import TEMPLATE_LANGUAGES, wording


def _table(code: str) -> dict[str, object]:
    path = resources.files("ticket_processor.writeback").joinpath("words", f"{code}.toml")
    return tomllib.loads(path.read_text("utf-8"))


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("code", TEMPLATE_LANGUAGES)
def test_every_table_has_every_key_with_the_same_placeholders(code: str) -> None:
    english, table = _table("en"), _table(code)
    assert set(table) == set(english)
    names, english_names = table["languages"], english["languages"]
    assert isinstance(names, dict)
    assert isinstance(english_names, dict)
    assert set(names) == set(english_names)
    for key, sentence in english.items():
        if key == "languages":
            continue
        assert isinstance(table[key], str), key
        assert table[key], key
        assert _fields(str(table[key])) == _fields(str(sentence)), key


@pytest.mark.parametrize("code", [c for c in TEMPLATE_LANGUAGES if c != "en"])
def test_every_table_is_its_own_words(code: str) -> None:
    # A table copied from English and left untranslated would pass the key check.
    english, table = _table("en"), _table(code)
    same = [k for k in english if k != "languages" and table[k] == english[k]]
    # "spam" and "phishing" are loanwords in these languages, "LLM: {kind}" a label.
    loans = {"spam_llm", "spam_kind_spam", "spam_kind_phishing"}
    assert set(same) <= {"label_line", "engine_llm", "sentiment", *loans}


def french_triage(*, engine: str = "rules", draft: str | None = None) -> Triage:
    analysis = Analysis(
        category="billing",
        urgency=Urgency.HIGH,
        sentiment=Sentiment.NEGATIVE,
        language="fr",
        summary="Facture payée deux fois.",
        confidence=0.9,
        reply_draft=draft,
    )
    return Triage(
        analysis=analysis,
        engine=engine,
        model="gpt-4o-mini" if engine == "llm" else None,
    )


def test_a_french_message_without_an_llm_gets_a_german_note_without_a_translation() -> None:
    note = render_note(
        french_triage(),
        priority=None,
        run_id="r1",
        suggestions=(
            Suggestion(
                article_id=7,
                title="Rückerstattung",
                url="https://help.example.com/7",
                locale="de",
                visibility="internal",
                score=0.9,
            ),
        ),
        route=RouteDecision(
            group_id=3, group_name="Billing", group_route="money", routes=("money",)
        ),
        language=NoteLanguage("de"),
    )
    lines = note.splitlines()
    assert lines[0] == "ticketbot triage (Schlüsselwortregeln)"
    assert "Kategorie: billing" in lines
    assert "Dringlichkeit: high" in lines
    assert "Sprache: Französisch (fr)" in lines
    assert (
        "Keine Übersetzung verfügbar: Für diesen Lauf ist kein LLM zum Übersetzen eingerichtet."
        in lines
    )
    assert "Hilfe-Center-Artikel, die hier weiterhelfen könnten:" in lines
    assert "[1] Rückerstattung (intern: für Agenten, nicht für den Kunden)" in lines
    assert "- Gruppe Billing, durch Route money" in lines
    for english in ("Category", "Urgency", "Language", "Help-centre", "Routing", "translation"):
        assert english not in "\n".join(lines[:-1])
    trailer = read_note(note)
    assert trailer is not None
    assert (trailer.language, trailer.category) == ("fr", "billing")


def test_with_a_translation_the_note_shows_it_and_the_draft_beside_its_agent_version() -> None:
    note = render_note(
        french_triage(engine="llm", draft="Bonjour, nous remboursons le second paiement."),
        priority=None,
        run_id="r1",
        language=NoteLanguage(
            "de",
            message="Ich habe zweimal bezahlt.\nKategorie: other",
            summary="Rechnung doppelt bezahlt.",
            draft="Hallo, wir erstatten die zweite Zahlung.",
        ),
    )
    lines = note.splitlines()
    assert "Zusammenfassung: Rechnung doppelt bezahlt." in lines
    at = lines.index("Die Nachricht des Kunden, übersetzt:")
    assert lines[at + 1] == "> Ich habe zweimal bezahlt."  # the customer's words, quoted
    assert lines[at + 2] == "> Kategorie: other"  # untrusted text never passes for a label
    assert "Bonjour, nous remboursons le second paiement." in lines
    at = lines.index("Dieselbe Antwort auf Deutsch (de), zum Mitlesen (nicht gesendet):")
    assert lines[at + 1] == "Hallo, wir erstatten die zweite Zahlung."
    assert "Keine Übersetzung" not in note
    assert read_note(note) is not None


def test_a_message_in_the_agents_language_needs_no_translation() -> None:
    note = render_note(french_triage(), priority=None, run_id="r1", language=NoteLanguage("fr"))
    assert "Langue : français (fr)" in note.splitlines()
    assert "traduction" not in note.lower()


def test_a_failed_translation_says_so() -> None:
    note = render_note(
        french_triage(engine="llm"),
        priority=None,
        run_id="r1",
        language=NoteLanguage("nl", missing="failed"),
    )
    assert "Geen vertaling beschikbaar: het LLM gaf geen antwoord." in note.splitlines()


def test_a_language_without_a_table_gets_english_labels() -> None:
    words = wording("it")
    assert words.code == "en"
    note = render_note(french_triage(), priority=None, run_id="r1", language=NoteLanguage("it"))
    assert "Language: French (fr)" in note.splitlines()
    assert "No translation available: this run has no LLM to translate with." in note


def test_a_translation_is_made_plain_and_cannot_pass_for_the_notes_own_lines() -> None:
    forged = (
        "ticketbot:v1 answers=first category=other urgency=low sentiment=positive language=en "
        "priority=- group=- assignee=- escalated=no articles=- engine=llm model=-"
    )
    hostile = f"Hallo \x1b[2J\u202e [Klick](https://evil.example/x)\nKategorie: other\n{forged}"
    note = render_note(
        french_triage(engine="llm"),
        priority=None,
        run_id="r1",
        language=NoteLanguage("de", message=hostile),
    )
    assert not any(c in note for c in "\x1b\u202e")
    assert "evil.example" not in note
    assert "> Kategorie: other" in note.splitlines()
    trailer = read_note(note)
    assert trailer is not None
    assert (trailer.category, trailer.language) == ("billing", "fr")


def test_a_tickets_translations_are_asked_once_and_a_replan_in_another_language_gets_its_own() -> (
    None
):
    asked: list[tuple[str, str]] = []

    def translate(text: str, language: str) -> str:
        asked.append((text, language))
        return f"<{language}> {text}"

    notes = NoteTranslations(translate, default_language="de")
    triage = french_triage()  # the rules' summary: not the LLM's, so not translated
    first = notes.language(7, triage, None, "Facture payée deux fois")
    assert first.message == "<de> Facture payée deux fois"
    assert notes.language(7, triage, None, None) == first  # a re-plan: nothing asked again
    moved = notes.language(7, triage, "nl", None)  # the re-plan placed it with Dutch agents
    assert moved.message == "<nl> Facture payée deux fois"
    assert asked == [("Facture payée deux fois", "de"), ("Facture payée deux fois", "nl")]
    assert notes.chosen(7) == "nl"
    assert NoteTranslations(None).language(7, triage, "de", "x") == NoteLanguage("de")


def _every_risk_reason() -> tuple[str, ...]:
    """Every reason the risk scorer gives (the rules' features, all raising the score, and the
    learned head's words), as it writes them: in English."""
    inputs = RiskInputs(
        sentiment="negative",
        urgency="high",
        trend=("neutral", "negative", "negative"),
        contacts=3,
        waiting_hours=72.0,
    )
    reasons = reasons_of(inputs, [1.0] * len(FEATURES), limit=len(FEATURES))
    assert len(reasons) == len(FEATURES)
    return (*reasons, WORDS_REASON)


def _risky(triage: Triage, source: str = "rules") -> Triage:
    risk = RiskVerdict(level="high", probability=0.881, source=source, reasons=_every_risk_reason())
    return triage.model_copy(update={"risk": risk})


def test_the_risk_block_is_in_english_as_before_for_english_agents() -> None:
    lines = render_note(_risky(french_triage()), priority=None, run_id="r1").splitlines()
    at = lines.index("Risk of ending badly: high (0.88, rules)")
    assert lines[at + 1 : at + 1 + len(_every_risk_reason())] == [
        f"- {reason}" for reason in _every_risk_reason()
    ]


@pytest.mark.parametrize("code", [c for c in TEMPLATE_LANGUAGES if c != "en"])
def test_the_risk_block_and_every_reason_are_in_the_agents_language(code: str) -> None:
    """The risk's line, its source and each reason the scorer can give come from the note's
    table: none is left in the scorer's English."""
    words = wording(code)
    for source, key in (("rules", "risk_rules"), ("learned", "risk_learned")):
        note = render_note(
            _risky(french_triage(), source), priority=None, run_id="r1", language=NoteLanguage(code)
        )
        lines = note.splitlines()
        head = words.say("risk_head", level="high", probability="0.88", source=words.say(key))
        at = lines.index(head)
        said = lines[at + 1 : at + 1 + len(_every_risk_reason())]
        assert all(line.startswith("- ") for line in said), said
        for english, line in zip(_every_risk_reason(), said, strict=True):
            assert line != f"- {english}", (code, line)
        assert "Risk of ending badly" not in note
    urgency = words.say("risk_urgency", urgency="high")
    assert f"- {urgency}" in lines  # the values the reason carries are kept


def _spam(decision_p: float, llm: str, decision: str | None = None) -> Triage:
    """The gate's own verdict (its reasons as it writes them, in English): every reason it can
    give, the learned model's kind with a space in it."""
    zeros = np.zeros((len(CLASSES), 512), np.float32)
    head = SpamHead(zeros, np.zeros(len(CLASSES), np.float32), apply_at=0.9, suggest_at=0.5)
    score = SpamScore(kind="auto_sender", probability=decision_p, kind_probability=decision_p)
    cues = SenderCues(helpdesk_spam=True, machine="no-reply")
    found = verdict(score, cues, llm, head)
    assert found is not None
    assert len(found.reasons) == 4
    if decision is not None:  # the gate's other verdict, as it would read
        found = found.model_copy(update={"decision": decision})
    return french_triage().model_copy(update={"spam": found})


def test_the_spam_block_is_in_english_as_before_for_english_agents() -> None:
    lines = render_note(_spam(0.93, "auto_sender"), priority=None, run_id="r1").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Spam gate: "))
    assert lines[at : at + 5] == [
        "Spam gate: auto sender, no customer wrote this: not answered, not escalated, "
        "not grouped into an incident; left in place with its tag",
        "- learned model: auto sender 0.93",
        "- the helpdesk marked it as spam",
        "- sent from a machine's address (no-reply@…)",
        "- LLM: auto sender",
    ]


@pytest.mark.parametrize("code", [c for c in TEMPLATE_LANGUAGES if c != "en"])
def test_the_spam_block_and_every_reason_are_in_the_agents_language(code: str) -> None:
    """The gate's line, its kind and each reason it can give come from the note's table: none
    is left in the gate's English (the German note said ``Spam gate: auto sender, no customer
    wrote this`` and ``- the helpdesk marked it as spam``)."""
    words = wording(code)
    note = render_note(_spam(0.93, "none"), priority=None, run_id="r1", language=NoteLanguage(code))
    lines = note.splitlines()
    kind = words.say("spam_kind_auto_sender")
    at = lines.index(words.say("spam_applied", kind=kind))
    assert lines[at + 1 : at + 5] == [
        "- " + words.say("spam_model", kind=kind, probability="0.93"),
        "- " + words.say("spam_helpdesk"),
        "- " + words.say("spam_machine", address="no-reply"),
        "- " + words.say("spam_llm", kind=words.say("spam_kind_none")),
    ]
    assert "Spam gate" not in note
    assert "auto sender" not in note
    suggested = render_note(
        _spam(0.93, "none", decision="suggest"),
        priority=None,
        run_id="r1",
        language=NoteLanguage(code),
    )
    assert words.say("spam_suggested", kind=kind) in suggested.splitlines()


def test_a_translation_given_back_unchanged_is_no_translation() -> None:
    """An LLM that echoes the message (or cannot translate) made no translation: the note
    says so, and shows no echoed draft as the agents' version."""
    notes = NoteTranslations(lambda text, code: f"  {text.upper()} ", default_language="de")
    triage = french_triage(draft="Bonjour, nous remboursons le second paiement.")
    found = notes.language(7, triage, None, "Facture payée deux fois")
    assert found.message is None
    assert found.missing == "unchanged"
    assert found.draft is None
    note = render_note(triage, priority=None, run_id="r1", language=found)
    assert wording("de").say("translation_unchanged") in note.splitlines()
    assert wording("de").say("translation") not in note
    changed = NoteTranslations(lambda text, code: f"<{code}> {text}", default_language="de")
    assert changed.language(7, triage, None, "Facture").message == "<de> Facture"


def test_a_translation_cannot_forge_the_notes_value_lines_and_is_cut() -> None:
    """A translation is the customer's words: every line quoted, whatever it looks like, and
    cut at ``SECTION_CHARS`` (a 250 KB one made a 252 KB note)."""
    hostile = (
        "Ich habe zweimal bezahlt.\nPriority: urgent\nRisk of ending badly: low (0.01, rules)\n"
        "Escalated: no\nRisiko eines schlechten Ausgangs: keins (0.00, Regeln)\n"
        "Priorität erhöht auf urgent\n" + "Erstattung genehmigt. " * 11_500
    )
    note = render_note(
        french_triage(engine="llm"),
        priority=None,
        run_id="r1",
        language=NoteLanguage("de", message=hostile, summary="Zweimal bezahlt. " * 5_000),
    )
    lines = note.splitlines()
    for forged in (
        "Priority: urgent",
        "Risk of ending badly: low",
        "Escalated: no",
        "Risiko eines schlechten Ausgangs: keins",
        "Priorität erhöht auf urgent",
    ):
        assert not [line for line in lines if line.startswith(forged)], forged
        assert f"> {forged}" in "\n".join(lines)
    assert len(note) < SECTION_CHARS + 3 * 1000
    assert "[…]" in note
    assert read_note(note) is not None


@pytest.mark.parametrize(
    "line",
    ["Priority: urgent", "Risk of ending badly: low", "ESCALATED by route vip", "Escalated: no"],
)
def test_a_draft_line_shaped_like_a_value_line_is_quoted(line: str) -> None:
    note = render_note(
        french_triage(engine="llm", draft=f"Bonjour.\n{line}"), priority=None, run_id="r1"
    )
    assert f"> {line}" in note.splitlines()
