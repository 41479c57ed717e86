"""The words a summary is written in, per language: its four labels and the sentences that
stand in where the thread has nothing to quote (no agent reply yet, who is to act next).

One ``SummaryWords`` per language code (the six the note has tables for); ``words_for`` falls
back to English for a language that has none. The agent's language is
``TICKETBOT_AGENT_LANGUAGE``; a new language is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryWords:
    """The fixed wording of a summary in one language."""

    problem: str  # the four labels, in the field's order
    done: str
    state: str
    next_step: str
    nothing_done: str  # "what was done" before any agent wrote
    new_ticket: str  # "where it stands" while the customer's first message is all there is
    customer_last: str  # "where it stands" after a customer's message: {text} is its sentence
    customer_says: str  # the problem in the customer's own words: {text} is their sentence
    agent_last: str  # "where it stands" after an agent's message
    next_for_agent: str  # the customer wrote last: an agent is to answer
    next_for_customer: str  # an agent wrote last: the customer is to answer
    next_for_held: str  # the spam gate holds the ticket: {tag} is its verdict's tag


ENGLISH = SummaryWords(
    problem="Problem",
    done="Done",
    state="Status",
    next_step="Next",
    nothing_done="No agent has replied yet.",
    new_ticket="New, waiting for a first reply.",
    customer_last="The customer wrote last: “{text}”",
    customer_says="The customer writes: “{text}”",
    agent_last="An agent replied last; waiting for the customer.",
    next_for_agent="Answer the customer.",
    next_for_customer="Wait for the customer's answer; follow up if none comes.",
    next_for_held=(
        "Do not answer: the spam gate held this ticket ({tag}); check who sent it first."
    ),
)

GERMAN = SummaryWords(
    problem="Problem",
    done="Erledigt",
    state="Stand",
    next_step="Nächster Schritt",
    nothing_done="Noch keine Antwort eines Agenten.",
    new_ticket="Neu, wartet auf eine erste Antwort.",
    customer_last="Der Kunde schrieb zuletzt: „{text}“",
    customer_says="Der Kunde schreibt: „{text}“",
    agent_last="Ein Agent antwortete zuletzt; wir warten auf den Kunden.",
    next_for_agent="Dem Kunden antworten.",
    next_for_customer="Auf die Antwort des Kunden warten; nachfassen, wenn keine kommt.",
    next_for_held=(
        "Nicht antworten: der Spam-Filter hat dieses Ticket "
        "zurückgehalten ({tag}); erst den Absender prüfen."
    ),
)
FRENCH = SummaryWords(
    problem="Problème",
    done="Fait",
    state="État",
    next_step="Suite",
    nothing_done="Aucun agent n'a encore répondu.",
    new_ticket="Nouveau, en attente d'une première réponse.",
    customer_last="Le client a écrit en dernier : « {text} »",
    customer_says="Le client écrit : « {text} »",
    agent_last="Un agent a répondu en dernier ; en attente du client.",
    next_for_agent="Répondre au client.",
    next_for_customer="Attendre la réponse du client ; relancer s'il ne répond pas.",
    next_for_held=(
        "Ne pas répondre : le filtre anti-spam a retenu ce ticket "
        "({tag}) ; vérifier d'abord l'expéditeur."
    ),
)
SPANISH = SummaryWords(
    problem="Problema",
    done="Hecho",
    state="Estado",
    next_step="Siguiente",
    nothing_done="Ningún agente ha respondido todavía.",
    new_ticket="Nuevo, a la espera de una primera respuesta.",
    customer_last="El cliente escribió por última vez: «{text}»",
    customer_says="El cliente escribe: «{text}»",
    agent_last="Un agente respondió por última vez; a la espera del cliente.",
    next_for_agent="Responder al cliente.",
    next_for_customer="Esperar la respuesta del cliente; hacer seguimiento si no llega.",
    next_for_held=(
        "No responder: el filtro de spam retuvo este ticket "
        "({tag}); comprobar antes quién lo envió."
    ),
)
DUTCH = SummaryWords(
    problem="Probleem",
    done="Gedaan",
    state="Stand",
    next_step="Volgende stap",
    nothing_done="Nog geen antwoord van een medewerker.",
    new_ticket="Nieuw, wacht op een eerste antwoord.",
    customer_last="De klant schreef als laatste: “{text}”",
    customer_says="De klant schrijft: “{text}”",
    agent_last="Een medewerker antwoordde als laatste; wachten op de klant.",
    next_for_agent="De klant antwoorden.",
    next_for_customer="Wachten op het antwoord van de klant; opvolgen als het uitblijft.",
    next_for_held=(
        "Niet antwoorden: het spamfilter hield dit ticket tegen "
        "({tag}); controleer eerst de afzender."
    ),
)
PORTUGUESE = SummaryWords(
    problem="Problema",
    done="Feito",
    state="Situação",
    next_step="Próximo passo",
    nothing_done="Nenhum agente respondeu ainda.",
    new_ticket="Novo, à espera de uma primeira resposta.",
    customer_last="O cliente escreveu por último: «{text}»",
    customer_says="O cliente escreve: «{text}»",
    agent_last="Um agente respondeu por último; à espera do cliente.",
    next_for_agent="Responder ao cliente.",
    next_for_customer="Aguardar a resposta do cliente; voltar a contactar se não vier.",
    next_for_held=(
        "Não responder: o filtro de spam reteve este pedido "
        "({tag}); verificar primeiro quem o enviou."
    ),
)

# The languages the note has tables for (writeback/words/): the summary speaks the same ones.
TEMPLATES: dict[str, SummaryWords] = {
    "en": ENGLISH,
    "de": GERMAN,
    "fr": FRENCH,
    "es": SPANISH,
    "nl": DUTCH,
    "pt": PORTUGUESE,
}
DEFAULT_LANGUAGE = "en"


def all_labels() -> frozenset[str]:
    """Every language's four labels, case-folded: what a customer's words must not start a
    part with when they are quoted in the field."""
    return frozenset(
        label.casefold()
        for words in TEMPLATES.values()
        for label in (words.problem, words.done, words.state, words.next_step)
    )


def words_for(language: str) -> SummaryWords:
    """The wording for ISO code ``language`` (``de``, ``pt-BR``), English where there is none."""
    code = language.strip().lower().replace("_", "-")
    return TEMPLATES.get(code) or TEMPLATES.get(code.split("-")[0]) or ENGLISH
