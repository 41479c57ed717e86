"""The language an assigned ticket's skills take: one-line tickets outside English read by
Lingua and the stopwords together among the helpdesk's languages (Polish and Swedish among
them), quoted English history and signatures not read, short English requests kept English,
a text with no word the helpdesk's language, the LLM's reading kept as it is."""

from __future__ import annotations

import pytest

from ticket_processor.assignment.language import lingua_languages, reading_text, routing_language
from ticket_processor.assignment.policy import SkillPolicy
from ticket_processor.helpdesks.staffing import SkillCatalogue
from ticket_processor.triage.cues import tokenise
from ticket_processor.triage.language import detect_language

SEVEN = lingua_languages(["de", "fr", "es", "it", "pt", "nl"])
NINE = lingua_languages([*SEVEN, "pl", "sv"])


def read(text: str, codes: frozenset[str] = SEVEN, *, by_llm: bool = False) -> str:
    return routing_language(detect_language(tokenise(text), text), text, codes, by_llm=by_llm)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Cobrança em duplicado na fatura", "pt"),
        ("Lieferung beschädigt angekommen", "de"),
        ("Commande jamais reçue", "fr"),
        ("Reembolso todavía pendiente", "es"),
        ("Pacco smarrito dal corriere", "it"),
        ("Bestelling nooit ontvangen", "nl"),
    ],
)
def test_one_line_tickets_outside_english_get_their_language(text: str, language: str) -> None:
    assert detect_language(tokenise(text), text) == "en"  # what the stopwords alone say
    assert read(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # Without accents, with English loanwords: the stopwords name a language, or none.
        ("Nao consigo fazer login no app desde ontem", "pt"),
        ("quiero el refund de mi pedido", "es"),
        ("dov e il mio ordine? il tracking non si aggiorna", "it"),
        ("Impossible de me connecter a mon compte depuis hier", "fr"),
        # Languages the triage has no stopwords for, where the helpdesk has skills for them.
        ("Nie moge sie zalogowac do aplikacji od wczoraj", "pl"),
        ("Gdzie jest moja paczka? Tracking nic nie pokazuje", "pl"),
        ("Kan inte logga in i appen sedan igår", "sv"),
        ("återbetalningen har inte kommit", "sv"),
    ],
)
def test_every_latin_ticket_is_read_among_the_helpdesks_languages(text: str, language: str) -> None:
    assert read(text, NINE) == language


def test_quoted_english_history_and_a_phones_footer_are_not_read() -> None:
    reply = (
        "Re: Your order 55123\nContinua sem funcionar, o erro aparece de novo.\n\n"
        "On Tue, 3 May 2026, Support <help@shop.example> wrote:\n"
        "> Hi, please try to reset your password and log in again. Could you send us a\n"
        "> screenshot of the error if it happens again? Best regards, the support team"
    )
    assert "reset your password" not in reading_text(reply)
    assert read(reply) == "pt"
    assert read("Re: Ticket\nNadal nie dziala ta aplikacja.\n\nSent from my iPhone", NINE) == "pl"


@pytest.mark.parametrize(
    "text",
    [
        "cancel order 3707955617",
        "refund status",
        "need invoice copy",
        "how to get my refund",
        "Reset 2FA",
        "login not working",
        "Package delivered to Rua das Flores 12, Lisboa but nobody there",
        "Invoice\nPlease send the invoice for March.\n\nMit freundlichen Gruessen\nKlaus Weber",
    ],
)
def test_short_english_requests_stay_english(text: str) -> None:
    assert read(text) == "en"
    assert read(text, NINE) == "en"


def test_a_text_with_no_word_takes_the_helpdesks_language() -> None:
    for text in ("#55123 https://shop.example/orders/55123", "\n12345 ?!"):
        found = routing_language("en", text, NINE, default="de")
        assert found == "de"
    assert routing_language("en", "Bestellung nie angekommen", NINE, default="pl") == "de"


def test_the_llms_language_and_other_scripts_are_kept() -> None:
    assert read("Cobrança em duplicado na fatura", by_llm=True) == "en"  # the LLM said so
    assert read("Заказ не пришёл") == detect_language(
        tokenise("Заказ не пришёл"), "Заказ не пришёл"
    )


def test_an_undetermined_cyrillic_text_is_read_among_the_helpdesks_cyrillic_languages() -> None:
    serbian = "Не могу да се пријавим у апликацију"  # ј: neither Russian nor Bulgarian
    assert detect_language(tokenise(serbian), serbian) == "und"
    assert read(serbian, lingua_languages(["ru", "bg", "sr"])) == "sr"
    assert read(serbian, lingua_languages(["ru"])) == "und"  # one Cyrillic language: no choice


def test_only_the_helpdesks_languages_are_named() -> None:
    assert lingua_languages([]) == frozenset({"en"})
    assert read("Cobrança em duplicado na fatura", lingua_languages([])) == "en"  # no skill: none
    assert read("Lieferung beschädigt angekommen", lingua_languages(["pt"])) in ("en", "pt")
    assert read("Cobrança em duplicado na fatura", lingua_languages(["pt"])) == "pt"


def test_a_language_skill_is_matched_by_its_english_names() -> None:
    catalogue = SkillCatalogue({"": ("Polish", "Norwegian Bokmål", "slovene", "Billing")})
    policy = SkillPolicy()
    assert policy.language_skill("pl", catalogue) == "Polish"
    assert policy.language_skill("no", catalogue) == "Norwegian Bokmål"
    assert policy.language_skill("sl", catalogue) == "slovene"
    assert policy.language_skill("sv", catalogue) is None
    assert lingua_languages(policy.languages(catalogue)) == {"en", "pl", "no", "sl"}


def test_every_language_lingua_is_asked_about_has_a_skill_name() -> None:
    from lingua import Language

    from ticket_processor.assignment.language import _LINGUA_NAMES
    from ticket_processor.assignment.policy import LANGUAGE_NAMES

    shipped = {language.name for language in Language.all()}
    assert set(_LINGUA_NAMES.values()) <= shipped
    assert set(_LINGUA_NAMES) <= set(LANGUAGE_NAMES)


def test_the_language_figure_reads_no_held_out_set_with_dev_only() -> None:
    from scripts.figures_assignment import _language_sets

    parts = _language_sets(dev_only=True)
    assert set(parts) == {"dev", "english"}
    assert [n for n in parts["dev"] if n.startswith("language")] == [
        "language_dev_hard",
        "language_dev_check",
    ]
