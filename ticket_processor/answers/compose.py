"""The reply's text: a greeting, the answer, the one article's link, and who follows up.

``excerpt`` takes the article's own words (the passage sharing most content words with the
ticket, at most ``EXCERPT_SENTENCES`` sentences): nothing is invented. ``compose`` puts it in
the ticket's language's template (en, de, fr, es, nl, pt; others get English). ``grounded`` is
the check an LLM's short answer must pass before it may replace the excerpt: nothing
``screen.unsafe`` refuses (a secret asked for; a link, address, domain, e-mail, phone or number
the article does not hold), every sentence supported by the article, no promise it lacks. Nothing of
the ticket's text reaches the reply but the customer's first name, and that only when it is a
plain name. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..kb.text import article_text, query_terms, words
from ..triage.screen import unsafe

EXCERPT_SENTENCES = 3
EXCERPT_CHARS = 600
# Share of a sentence's content words the article must hold for the sentence to be supported.
SUPPORTED_SHARE = 0.8


@dataclass(frozen=True)
class Template:
    greeting: str  # "{name}" is the customer's first name, or dropped with its comma
    intro: str
    intro_unlinked: str  # for a source with no web address (a team's document...)
    link: str
    follow_up: str
    signature: str


TEMPLATES: dict[str, Template] = {
    "en": Template(
        "Hello{name},",
        "This article from our help centre answers your question:",
        "Here is the answer to your question:",
        "Read the whole article: {title} - {url}",
        "If this does not solve it, just reply to this message and a person from our team "
        "will follow up.",
        "Kind regards,\nThe support team (automated answer)",
    ),
    "de": Template(
        "Hallo{name},",
        "Dieser Artikel aus unserem Hilfe-Center beantwortet Ihre Frage:",
        "Hier ist die Antwort auf Ihre Frage:",
        "Der ganze Artikel: {title} - {url}",
        "Falls das Ihr Anliegen nicht löst, antworten Sie einfach auf diese Nachricht: eine "
        "Person aus unserem Team meldet sich dann bei Ihnen.",
        "Freundliche Grüße\nIhr Support-Team (automatische Antwort)",
    ),
    "fr": Template(
        "Bonjour{name},",
        "Cet article de notre centre d'aide répond à votre question :",
        "Voici la réponse à votre question :",
        "L'article complet : {title} - {url}",
        "Si cela ne résout pas votre problème, répondez simplement à ce message : une personne "
        "de notre équipe prendra le relais.",
        "Cordialement,\nL'équipe support (réponse automatique)",
    ),
    "es": Template(
        "Hola{name}:",
        "Este artículo de nuestro centro de ayuda responde a su pregunta:",
        "Esta es la respuesta a su pregunta:",
        "El artículo completo: {title} - {url}",
        "Si esto no lo resuelve, responda a este mensaje y una persona de nuestro equipo le "
        "atenderá.",
        "Saludos cordiales,\nEl equipo de soporte (respuesta automática)",
    ),
    "nl": Template(
        "Hallo{name},",
        "Dit artikel uit ons helpcentrum beantwoordt uw vraag:",
        "Hier is het antwoord op uw vraag:",
        "Het hele artikel: {title} - {url}",
        "Lost dit het niet op? Beantwoord dan dit bericht en iemand van ons team helpt u verder.",
        "Met vriendelijke groet,\nHet supportteam (automatisch antwoord)",
    ),
    "pt": Template(
        "Olá{name},",
        "Este artigo da nossa central de ajuda responde à sua pergunta:",
        "Eis a resposta à sua pergunta:",
        "O artigo completo: {title} - {url}",
        "Se isto não resolver, basta responder a esta mensagem e uma pessoa da nossa equipa "
        "dará seguimento.",
        "Com os melhores cumprimentos,\nA equipa de suporte (resposta automática)",
    ),
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9\"'(])")
_FIRST_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'-]{0,29}$")
_PROMISE = re.compile(
    r"\b(?:guarantee|guaranteed|promise|we will (?:refund|credit|compensate|send|call)|"
    r"(?:full|free|immediate) refund|compensat|discount|voucher|free of charge|"
    r"garantie|garantiert|erstatten wir|rembourserons|garantizamos|reembolsaremos|"
    r"garanderen|garantimos)",
    re.IGNORECASE,
)


def template(language: str) -> Template:
    return TEMPLATES.get(language, TEMPLATES["en"])


def first_name(name: str | None) -> str | None:
    """The customer's first name when it is a plain name; anything else is not echoed."""
    if not name:
        return None
    first = name.strip().split()[0] if name.strip() else ""
    return first if _FIRST_NAME.match(first) and "@" not in name else None


def sentences(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", text).strip()
    return [s.strip() for s in _SENTENCE.split(flat) if s.strip()]


def excerpt(article_body: str, ticket_text: str) -> str:
    """The article's own passage (up to ``EXCERPT_SENTENCES`` consecutive sentences) that
    shares most content words with the ticket; the article's opening when none shares any."""
    found = sentences(article_text(article_body))
    if not found:
        return ""
    wanted = set(query_terms(ticket_text))
    best, best_score = 0, -1
    for start in range(len(found)):
        window = found[start : start + EXCERPT_SENTENCES]
        score = len(wanted & set(words(" ".join(window))))
        if score > best_score:
            best, best_score = start, score
    chosen: list[str] = []
    for sentence in found[best : best + EXCERPT_SENTENCES]:
        if chosen and len(" ".join([*chosen, sentence])) > EXCERPT_CHARS:
            break
        chosen.append(sentence)
    text = " ".join(chosen)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def compose(*, language: str, answer: str, title: str, url: str, name: str | None = None) -> str:
    """The reply in ``language``'s template around ``answer`` (the article's words, or a
    grounded LLM answer), linking the one article. A source with no web address (a public
    document of the team's folder: its ``url`` is its path there; a canned reply) is quoted
    without a link, since a path on the team's machine means nothing to the customer, and
    without calling it a help-centre article the customer would look for in vain."""
    t = template(language)
    first = first_name(name)
    linked = url.startswith(("https://", "http://"))
    return "\n\n".join(
        (
            t.greeting.format(name=f" {first}" if first else ""),
            t.intro if linked else t.intro_unlinked,
            answer,
            *((t.link.format(title=title, url=url),) if linked else ()),
            t.follow_up,
            t.signature,
        )
    )


def without_name(body: str, language: str) -> str:
    """``body`` (a ``compose``d reply) greeting nobody by name: what a log may keep of a reply,
    which holds no other personal data (the article's words or a grounded answer)."""
    _, sep, rest = body.partition("\n\n")
    return template(language).greeting.format(name="") + sep + rest


def grounded(answer: str, article_body: str) -> str | None:
    """Why an LLM's answer may not be sent (None: every sentence is the article's): a link,
    number or promise the article does not hold, or a sentence whose words it does not have."""
    source = article_text(article_body)
    source_words = set(words(source))
    folded_source = " ".join(words(source))
    if not answer.strip():
        return "empty"
    refused = unsafe(answer, source)
    if refused is not None:
        return refused
    for match in _PROMISE.finditer(answer):
        if " ".join(words(match.group(0))) not in folded_source:
            return f"promise not in the article: {match.group(0)}"
    for sentence in sentences(answer):
        content = [w for w in query_terms(sentence)]
        if not content:
            continue
        held = sum(1 for w in content if w in source_words)
        if held / len(content) < SUPPORTED_SHARE:
            return f"sentence not supported by the article: {sentence[:80]}"
    return None
