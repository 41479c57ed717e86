"""May this ticket be answered, and from which article: pure decisions on plain data.

``refusal`` is the one list of guards an answer must pass (each returns its reason, the first
one found wins); ``choose_article`` picks the one article that answers, with its calibrated
probability, or none. ``needs_person`` finds what no article can settle — money that did not
arrive, a double charge, an error on the customer's own account — in the languages the
templates speak; such a ticket is close to an article ("refunds take 5 days") but the article
does not answer it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..kb.text import fold
from ..models import Suggestion
from ..triage.confidence import Calibration
from ..triage.reply_kind import classify_reply

Refusal = str
# A ticket is answered only where the customer may read the article.
QUOTABLE = frozenset({"everyone", "signed_in"})
# Another article this close to the best one: the index cannot tell which answers.
AMBIGUOUS_SHARE = 0.85
LOOP_WINDOW_SECONDS = 24 * 3600
CLOSED = frozenset({"solved", "closed"})

# Cues of a ticket that needs a person, whatever the article says. Folded text (lower case, no
# accents) is matched; each entry is one language's phrases.
_NEEDS_PERSON = re.compile(
    r"|".join(
        (
            # money that did not arrive, or came twice
            r"\b(?:charged|billed|debited|paid)\s+(?:me\s+)?(?:twice|two times|double)",
            r"\bdouble(?:d)?[- ](?:charge|charged|billed|payment)",
            r"\b(?:two|2|duplicate)\s+(?:identical\s+)?(?:charges|payments|debits)",
            r"\b(?:still|yet)\s+(?:not|haven'?t|have not|hasn'?t|has not|didn'?t)\b.{0,40}"
            r"\b(?:receiv|arriv|refund|credit|got|get|see)",
            r"\b(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|never)\s+"
            r"(?:yet\s+)?(?:received|arrived|got|come|seen|shown|been (?:refunded|credited))",
            r"\brefund\b.{0,60}\b(?:not|never)\b.{0,20}\b(?:arriv|receiv|show|appear|come)",
            r"\bwhere is my (?:refund|money|payment)",
            # an error on the customer's own account
            r"\berror (?:code|message|number)?\s*[#:]?\s*[a-z]*-?\d{2,}",
            r"\bmy account\b.{0,60}\b(?:locked|suspended|blocked|disabled|deleted|hacked|"
            r"compromised|wrong|error|frozen)",
            r"\b(?:locked|suspended|blocked|disabled|hacked|frozen) (?:my )?account\b",
            r"\bwrong (?:amount|charge|invoice|balance)\b",
            # who they are, to be checked by a person: an identity to prove, a document
            # offered, a way back in with none of the codes an article would send them to
            r"\bprove (?:my|our|that i am|who i am)\b",
            r"\b(?:send|attach|upload|provide|show)\s+(?:you\s+)?(?:a\s+)?(?:copy|photo|picture|"
            r"scan)\s+of\s+(?:my|our)\s+(?:id|passport|driver'?s licen[cs]e|identity card)",
            r"\b(?:don'?t|do not|no longer)\s+have\s+(?:the\s+|my\s+|any\s+)?(?:backup|recovery)"
            r"\s+codes?",
            # de
            r"\bdoppelt (?:abgebucht|belastet|berechnet|bezahlt)",
            r"\bzweimal (?:abgebucht|belastet|berechnet)",
            r"\b(?:noch )?(?:nicht|nie|keine) (?:angekommen|erhalten|eingegangen|gutgeschrieben)",
            r"\b(?:erstattung|ruckzahlung|geld)\b.{0,60}\bnicht\b",
            r"\bfehler(?:code|meldung)?\s*[#:]?\s*[a-z]*-?\d{2,}",
            r"\bkonto\b.{0,40}\b(?:gesperrt|blockiert|gehackt)",
            r"\b(?:identitat|ausweis)\b.{0,40}\b(?:nachweisen|beweisen|schicken|senden)",
            r"\bkopie (?:meines|meiner) (?:ausweises|personalausweises|passes|fuhrerscheins)",
            r"\bkeine (?:backup|wiederherstellungs)-?codes?\b",
            # fr
            r"\b(?:debite|facture|preleve)e?s? (?:deux fois|en double)",
            r"\b(?:pas|jamais) (?:encore )?(?:recu|arrive|rembourse|credite)",
            r"\bremboursement\b.{0,60}\b(?:pas|jamais)\b",
            r"\berreur\s*[#:]?\s*[a-z]*-?\d{2,}",
            r"\bcompte\b.{0,40}\b(?:bloque|suspendu|pirate)",
            r"\bprouver (?:mon|notre) identite",
            r"\bcopie de (?:ma|mon) (?:piece d'identite|carte d'identite|passeport|permis)",
            r"\b(?:pas|plus) (?:de|les|mes) codes? de (?:secours|recuperation)",
            # es
            r"\b(?:cobrado|cargado|cobraron|cargaron)\b.{0,20}\b(?:dos veces|doble)",
            r"\bno (?:he |ha |me ha )?(?:recibido|llegado|devuelto|reembolsado)",
            r"\breembolso\b.{0,60}\bno\b",
            r"\bcuenta\b.{0,40}\b(?:bloqueada|suspendida|hackeada)",
            r"\b(?:demostrar|probar) (?:mi|nuestra) identidad",
            r"\bcopia de mi (?:dni|pasaporte|documento de identidad|carnet)",
            r"\bno tengo (?:los |mis )?codigos? de (?:respaldo|recuperacion|seguridad)",
            # nl
            r"\b(?:dubbel|twee keer) (?:afgeschreven|betaald|gefactureerd)",
            r"\b(?:niet|nooit|nog niet) (?:ontvangen|aangekomen|teruggestort|terugbetaald)",
            r"\baccount\b.{0,40}\b(?:geblokkeerd|gehackt)",
            r"\bmijn identiteit (?:bewijzen|aantonen)",
            r"\bkopie van mijn (?:id|paspoort|identiteitskaart|rijbewijs)",
            r"\bgeen (?:back-?up|herstel)codes?\b",
            # pt
            r"\bcobrad[oa]s? (?:duas vezes|em dobro)",
            r"\bnao (?:recebi|chegou|foi reembolsad)",
            r"\bconta\b.{0,40}\b(?:bloqueada|suspensa|hackeada)",
            r"\bprovar (?:a )?minha identidade",
            r"\bcopia (?:do meu|da minha) (?:documento|passaporte|rg|identidade|carteira)",
            r"\bnao tenho (?:os )?codigos? de (?:backup|recuperacao)",
        )
    )
)


def needs_person(text: str) -> bool:
    """Whether the ticket asks for something only a person can settle."""
    return bool(_NEEDS_PERSON.search(fold(text)))


# A sentence that opens as a question, in the templates' languages (folded: no accents).
_ASKS = re.compile(
    r"(?:^|[.!:;\n]\s*|\b(?:hi|hello|hey|hallo|bonjour|hola|ola|olá),?\s+)(?:"
    # en
    r"how|what|where|when|why|which|who|can|could|is|are|do|does|did|should|would|will|"
    r"may|am i|is there|are there|"
    # de
    r"wie|was|wo|wann|warum|welche[rsnm]?|wer|kann|konnen|ist|sind|gibt es|muss|soll|darf|"
    # fr
    r"comment|que|quoi|ou|quand|pourquoi|quel(?:le)?s?|qui|est-ce|puis-je|peut-on|y a-t-il|"
    # es
    r"como|donde|cuando|por que|cual(?:es)?|quien|puedo|se puede|hay|es posible|"
    # nl
    r"hoe|wat|waar|wanneer|waarom|welke|wie|kan ik|kun|moet ik|is er|"
    # pt
    r"o que|onde|quando|qual|quem|posso|pode|e possivel"
    r")\b",
    re.MULTILINE,
)


def asks_question(text: str) -> bool:
    """Whether the customer asks something (a question mark, or a sentence that opens as a
    question): what an article can answer. A ticket that only tells what happened to them
    ("every block of my schedule starts an hour late", "I'm waiting for a refund of 160
    dollars") reports their own case, which a person reads, however close its article."""
    return "?" in text or "¿" in text or bool(_ASKS.search(fold(text)))


def automatic(subject: str, body: str) -> bool:
    """An automatic reply or a bounce (the reply classifier's cues, and mailer subjects)."""
    head = fold(subject)
    if re.search(
        r"\b(?:auto(?:matic)?[- ]?(?:reply|response|antwort)|out of (?:the )?office|"
        r"undeliverable|delivery (?:status|failure)|mail delivery|returned mail|"
        r"abwesenheit|reponse automatique|respuesta automatica|afwezig)",
        head,
    ):
        return True
    return classify_reply(f"{subject}\n{body}").kind == "auto_reply"


@dataclass(frozen=True)
class TicketFacts:
    """What the guards look at, read from the ticket, its triage and the answers' book."""

    status: str
    assignee_id: int | None
    sentiment: str
    urgency: str
    escalated: bool
    requester_is_agent: bool
    agent_replied: bool
    automatic: bool
    needs_person: bool
    angry: bool  # the words of anger (``anger.angry``): refused whatever the engine says
    answered_before: bool
    requester_answered_at: float | None  # when this requester was last auto-answered
    now: float
    # "!!", "?!", a shouted word: an engine's negative label with it is refused as anger; a
    # negative label alone is ordinary support mail ("still doesn't work, what am I doing wrong?")
    heated: bool = False
    # about the customer's own case (``own_case``: their order number, an amount charged, what
    # they already tried, an action asked of the company): an article answers the general case
    own_case: bool = False
    # the customer asks for a person: to speak to a human, to be called (``person_asked``)
    person_asked: bool = False
    # A person must act before the ticket is settled (a refund, a cancellation, a change to the
    # account, a fault to fix): the LLM's reading in the triage call, or without an LLM the
    # person-needed head's. Read before any article or threshold.
    person_needed: bool = False


def refusal(facts: TicketFacts) -> Refusal | None:
    """Why this ticket must not be answered (None: it may be). Every guard, in one place."""
    checks: tuple[tuple[bool, str], ...] = (
        (facts.answered_before, "answered_before"),
        (facts.status in CLOSED, "closed"),
        (facts.assignee_id is not None, "assigned"),
        (facts.agent_replied, "agent_answered"),
        (facts.requester_is_agent, "agent_requester"),
        (facts.automatic, "automatic"),
        (facts.angry or (facts.sentiment == "negative" and facts.heated), "negative"),
        (facts.urgency == "critical", "urgent"),
        (facts.escalated, "escalated"),
        (facts.person_asked, "person_asked"),
        (facts.needs_person, "needs_person"),
        (facts.own_case, "own_case"),
        (facts.person_needed, "person_needed"),
        (
            facts.requester_answered_at is not None
            and facts.now - facts.requester_answered_at < LOOP_WINDOW_SECONDS,
            "loop_guard",
        ),
    )
    return next((reason for failed, reason in checks if failed), None)


@dataclass(frozen=True)
class Choice:
    """The one article that answers, and the calibrated probability that it does."""

    suggestion: Suggestion
    probability: float


def probability(score: float, calibration: Calibration | None) -> float:
    """The calibrated probability that an article with this index score answers the ticket."""
    return calibration(score) if calibration is not None else score


def choose_article(
    suggestions: Sequence[Suggestion], calibration: Calibration | None
) -> tuple[Choice | None, Refusal | None]:
    """The best quotable suggestion and its probability; a refusal when there is none or when
    another article scores nearly as well (the index cannot tell which one answers)."""
    quotable = [s for s in suggestions if s.visibility in QUOTABLE]
    if not quotable:
        return None, "no_article"
    best = max(quotable, key=lambda s: s.score)
    rivals = [s for s in quotable if s.article_id != best.article_id]
    if any(s.score >= best.score * AMBIGUOUS_SHARE for s in rivals):
        return None, "ambiguous"
    return Choice(best, probability(best.score, calibration)), None
