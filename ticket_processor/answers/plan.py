"""One ticket's answer decided: the mode its category answers in, the guards, the article, the
reply's text. Pure: everything it needs is handed in as values.

``cues`` reads the ticket's own text once, when the run takes the ticket (the text is let go
before the analysis): whether it needs a person or is about the customer's own case, is angry
or automatic, and the content words
the excerpt is chosen by. Only those words travel on; the reply never quotes the ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..kb.dense import Retrieved
from ..kb.documents import is_helpdesks
from ..kb.text import article_text, query_terms, words
from ..models import Ticket, Triage
from ..triage.confidence import Calibration
from ..triage.done_claims import reports_action
from ..triage.known_issue import known_issue
from ..triage.language import STOPWORDS, detect_language
from ..triage.quotable import unquotable
from .anger import angry, heated
from .compose import TEMPLATES, compose, excerpt, grounded
from .decide import (
    Choice,
    Refusal,
    TicketFacts,
    asks_question,
    automatic,
    choose_article,
    needs_person,
    refusal,
)
from .gate import Gate, GateInput, as_suggestion, gate_input
from .own_case import own_case
from .person_asked import person_asked
from .second_opinion import Opinion
from .vocab import AnswerMode, AnswerPlan, Delivery, answered_tag, reopened_tag

# Writes a short answer from an article's text (an LLM), or None when it cannot.
Writer = Callable[[str, str], str | None]


@dataclass(frozen=True)
class TicketCues:
    needs_person: bool
    angry: bool
    automatic: bool
    terms: str  # the ticket's content words, space-separated: what the excerpt is chosen by
    language: str = "en"  # by the stopwords, as the help-centre lookup reads it ("en": unsure)
    gate: GateInput | None = None  # both rankings' best article and the gate's features
    sure_language: str | None = None  # the language when the words tell it surely, else None
    # The ticket as the LLM's second opinion is shown it (redacted), kept from the read that had
    # its text; empty when no LLM is asked.
    shown: str = ""
    heated: bool = False  # "!!", "?!", a shouted word (``anger.heated``)
    # What says the ticket is about the customer's own case (``own_case.CUES``), empty if none.
    own_case: tuple[str, ...] = ()
    # The customer asks something (``decide.asks_question``): the gate's article may be sent
    # at ``QUESTION_AT``; a ticket that only tells what happened waits for ``GATE_ALONE_AT``.
    asks: bool = False
    # The customer asks for a person or a call ("I want to speak to a human, not a bot"):
    # no automated reply, whatever the article (``person_asked``).
    person_asked: bool = False
    # The person-needed head's reading of the ticket (``person_head``), for a triage with no
    # LLM view; None: no head (off, or no model file).
    person_head: bool | None = None


# A language is taken from the words only when its function words (of two letters or more:
# "a", "o" and "e" are English letters and Portuguese words, and a short English ticket was
# once answered "Olá") are this many, this share of the text, and this many ahead of any
# other language's.
SURE_HITS = 3
SURE_SHARE = 0.12
SURE_LEAD = 2


def sure_language(tokens: list[str]) -> str | None:
    """The language the stopwords name surely enough for the text's length, else None."""
    counts = dict.fromkeys(STOPWORDS, 0)
    for token in tokens:
        if len(token) < 2:
            continue
        for code, known in STOPWORDS.items():
            if token in known:
                counts[code] += 1
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    (best, hits), (_, second) = ranked[0], ranked[1]
    if hits >= SURE_HITS and hits >= SURE_SHARE * len(tokens) and hits - second >= SURE_LEAD:
        return best
    return None


def cues(
    subject: str,
    body: str,
    retrieve: Callable[[str], Retrieved] | None = None,
    person: Callable[[str], bool] | None = None,
) -> TicketCues:
    """What the answer is decided on, read from the ticket once; ``retrieve``: the help
    centre's fused ranking of the ticket's text (the gate's features come from it);
    ``person``: the person-needed head (``person_head``), None: none."""
    text = f"{subject}\n{body}"
    tokens = words(text)
    language = detect_language(tokens, text)
    return TicketCues(
        needs_person=needs_person(text),
        own_case=own_case(text),
        angry=angry(text),
        heated=heated(text),
        automatic=automatic(subject, body),
        terms=" ".join(query_terms(text)),
        language=language,
        gate=gate_input(retrieve(text), text, language) if retrieve is not None else None,
        sure_language=sure_language(tokens),
        asks=asks_question(text),
        person_asked=person_asked(text) is not None,
        person_head=person(text) if person is not None else None,
    )


def reply_language(
    found: TicketCues,
    analysis_language: str,
    article_locale: str,
    answer: str = "",
    requester_locale: str | None = None,
) -> str:
    """The reply's language: the ticket's when its words tell it surely for their number,
    else the requester's own locale as the helpdesk keeps it (Zendesk's user ``locale``,
    Freshdesk's contact ``language``; given only where the LLM writes the answer: a quoted
    passage is in its article's language), else the help centre's default — the answering
    article's locale (an article in the ticket's own language is chosen first). An engine's
    or a weak stopword guess is not enough: a short English ticket once got a Portuguese
    answer."""
    del analysis_language  # weaker than the help centre's own locale
    if found.sure_language in TEMPLATES:
        return str(found.sure_language)
    own = (requester_locale or "").split("-")[0].split("_")[0].lower()
    if own in TEMPLATES:
        return own
    article = article_locale.split("-")[0].lower()
    # A help centre that does not label its translations: the answer's own words tell.
    spoken = sure_language(words(answer)) if answer else None
    if spoken in TEMPLATES and spoken != article:
        return str(spoken)
    return article if article in TEMPLATES else "en"


@dataclass(frozen=True)
class Circumstances:
    """What the run knows beyond the ticket and its triage."""

    mode: AnswerMode  # the category's mode, ``auto`` already resolved to its rung
    threshold: float
    escalated: bool
    requester_is_agent: bool
    requester_answered_at: float | None
    answered_here: bool  # the book says this ticket was answered
    now: float
    prefix: str
    calibration: Calibration | None = None
    gate: Gate | None = None  # with the ticket's ``cues.gate``: the article and its probability
    # The gate read beside the calibration (``confirmed``): the calibration's article is sent
    # only when the fused ranking's first article is the same one, at ``CONFIRM_AT`` or more.
    confirm: Gate | None = None


# The gate's probability that confirms the calibration's article. Chosen leave-one-help-centre-
# out over nine help centres of different products, with the calibration's threshold: picked on
# the other eight, 0.55 and the calibration's 0.95 step (the default 0.9) for eight of the nine
# centres left out (``python -m scripts.figures answers_thresholds``). Keywords and passage
# vectors are two readings of whether the article answers the question; where they name
# different articles, or the vectors are unsure, more replies were wrong or unwanted.
CONFIRM_AT = 0.55
# The gate's probability at which its own first article is sent where the calibration has no
# article or is unsure (a question told in the customer's own words, or in another language
# than the article, shares few keywords with it). Chosen leave-one-help-centre-out over the
# same nine centres, with the two thresholds above: picked on the other eight for seven of the
# nine centres left out (``python -m scripts.figures answers_thresholds``, its
# ``confirmed_or_gate`` rows). At 0.9 the gate sends to tickets needing a person (the ranking
# cannot tell a customer's own fault from the question its article answers).
GATE_ALONE_AT = 0.96
# The gate's probability at which its own first article is sent to a ticket that asks a
# question (``decide.asks_question``); the policy's threshold still holds, so below it this
# opens nothing. Tickets needing a person that pass every guard, and questions of a
# neighbouring topic with no article, reach the gate at the answerable tickets' probabilities:
# on the dev centres the persons' mostly tell what happened to them and ask nothing, and the
# wrong articles the gate was surest of went to statements ("I'm waiting for a refund of 160
# dollars"). Chosen leave-one-help-centre-out over the five dev centres (``answers``, ``kb``,
# ``bitext``, ``heldout``, ``heldout2``), the other thresholds picked with it on the same
# centres (``python -m scripts.figures answers_thresholds --dev``, its ``asked`` rows): 0.9 for
# four of the five centres left out (the fifth's pick sends the gate's article alone from 0.9),
# and on all five.
QUESTION_AT = 0.9


def confirmed(choice: Choice, weighed: GateInput, gate: Gate) -> bool:
    """Whether the fused ranking's first article is the calibration's, sure enough."""
    best = weighed.candidate
    return (
        best is not None
        and best.hit.article_id == choice.suggestion.article_id
        and gate.probability(weighed.features) >= CONFIRM_AT
    )


def choose(
    triage: Triage, found: TicketCues, where: Circumstances
) -> tuple[Choice | None, Refusal | None]:
    """The article and its probability: the gate's when it chooses (the answers file's
    ``chooser = "gate"``); else the index's suggestion with the older calibration, confirmed by
    the gate where there is one, or else the gate's own first article where the gate alone is
    sure (``GATE_ALONE_AT``)."""
    if where.gate is None or found.gate is None:
        choice, reason = choose_article(triage.suggestions, where.calibration)
        weighed, confirm = found.gate, where.confirm
        if confirm is None or weighed is None:
            return choice, reason
        sure = choice is not None and choice.probability >= where.threshold
        if choice is not None and sure and confirmed(choice, weighed, confirm):
            return choice, None
        # The calibration has no article, or is unsure, or the vectors do not confirm its
        # article: the gate's own first article, where the gate alone is sure.
        best, p = weighed.candidate, confirm.probability(weighed.features)
        if best is not None and (p >= GATE_ALONE_AT or (found.asks and p >= QUESTION_AT)):
            return Choice(as_suggestion(best, p), p), None
        if sure:
            return None, "unconfirmed"
        return choice, reason  # below the threshold, or none: ``decide`` says which
    best = found.gate.candidate
    if best is None:
        return None, "no_article"
    p = where.gate.probability(found.gate.features)
    return Choice(as_suggestion(best, p), p), None


def known_issue_beside(
    triage: Triage, choice: Choice, article_body: Callable[[int, str], str]
) -> bool:
    """Whether another source the ticket fits (the note's suggestions) tells of a known issue:
    a customer told "probably a filter" while the team's "Known issue: CSV export" says
    engineers are on it would be told the fault is theirs. An agent answers."""
    for other in triage.suggestions:
        if other.article_id == choice.suggestion.article_id:
            continue
        if known_issue(other.title) or known_issue(
            "", article_text(article_body(other.article_id, other.locale))
        ):
            return True
    return False


def unsendable(body: str, article_id: int) -> Refusal | None:
    """Why a source's text may never be quoted to a customer, whatever its score (None: it
    may): it reports an action done, or holds what no reply carries."""
    if reports_action(article_text(body)) is not None:
        # A ready reply written for after the action ("we have cancelled your subscription")
        # would tell a customer who asked how that it is done: a suggestion, never a reply.
        return "reports_action"
    # A document of the team's folder may hold another customer's data pasted from a ticket,
    # or a planted "tell the customer their refund is approved": quoted, it goes out whole.
    # A helpdesk's own article names its support line and address: personal data is not
    # looked for there.
    if unquotable(article_text(body), personal=not is_helpdesks(article_id)):
        return "unquotable"
    return None


def person_needed(triage: Triage, found: TicketCues) -> bool:
    """Whether a person must act: the LLM's view where the triage call gave one (its reading
    of the whole ticket wins), else the head's; neither: the other guards decide."""
    view = triage.analysis.person_needed
    return view if view is not None else bool(found.person_head)


def ticket_facts(
    ticket: Ticket, triage: Triage, found: TicketCues, where: Circumstances
) -> TicketFacts:
    """What the guards read of this ticket, its triage, its cues and the run."""
    return TicketFacts(
        status=ticket.status,
        assignee_id=ticket.assignee_id,
        sentiment=triage.analysis.sentiment,
        urgency=triage.analysis.urgency,
        escalated=where.escalated,
        requester_is_agent=where.requester_is_agent,
        agent_replied=False,  # read by ``decide`` (``replied``), and again before sending
        automatic=found.automatic,
        needs_person=found.needs_person,
        own_case=bool(found.own_case),
        person_asked=found.person_asked,
        person_needed=person_needed(triage, found),
        angry=found.angry,
        heated=found.heated,
        answered_before=where.answered_here
        or answered_tag(where.prefix) in ticket.tags
        or reopened_tag(where.prefix) in ticket.tags,
        requester_answered_at=where.requester_answered_at,
        now=where.now,
    )


def decide(
    ticket: Ticket,
    triage: Triage,
    found: TicketCues,
    where: Circumstances,
    article_body: Callable[[int, str], str],
    writer: Writer | None = None,
    name: Callable[[], str | None] | None = None,
    locale: Callable[[], str | None] | None = None,
    second: Callable[[str], Opinion] | None = None,
    replied: Callable[[], Refusal | None] | None = None,
) -> tuple[AnswerPlan | None, Refusal | None]:
    """The answer this ticket gets (None, with the reason, when it gets none). ``name``: the
    customer's name, asked only for a reply that is going to be written (the greeting takes its
    first word when it is a plain name; the LLM never sees it). ``locale``: the requester's
    locale where the ticket did not bring it, asked only when the ticket's words do not tell
    its language surely. ``second``: the LLM's second opinion on the passage (``second_opinion``),
    asked only for a reply that would be sent; a disagreement makes it a draft. ``replied``:
    the conversation read for an agent's reply (``deliver.replied_before``), asked only for a
    ticket an article answers: a reply planned over an agent's would be announced in the note,
    then cancelled."""
    if where.mode == "off":
        return None, "off"
    analysis = triage.analysis
    reason = refusal(ticket_facts(ticket, triage, found, where))
    if reason is not None:
        return None, reason
    # The triage's confidence in the category is not asked: whether an article answers is read
    # from the question and the article (the chooser), and what must not be answered from the
    # guards above. A ticket the triage could not place (a plain "how do I ..." between how_to
    # and a product category) was refused before though its article answered it: on the six
    # sandbox help centres, 6 to 11 of 30 answerable tickets each.
    choice, reason = choose(triage, found, where)
    if choice is None:
        return None, reason
    if choice.probability < where.threshold:
        return None, "below_threshold"
    if known_issue_beside(triage, choice, article_body):
        return None, "known_issue"
    reason = replied() if replied is not None else None
    if reason is not None:
        return None, reason
    article = choice.suggestion
    body = article_body(article.article_id, article.locale)
    reason = unsendable(body, article.article_id)
    if reason is not None:
        return None, reason
    passage = excerpt(body, found.terms)
    if not passage:
        return None, "empty_article"
    language = reply_language(found, analysis.language, article.locale, passage)
    answer, source = passage, "excerpt"
    delivery: Delivery = "send" if where.mode == "send" else "draft"
    if writer is not None:
        # The LLM writes the answer in any language: the requester's own locale may choose
        # it where the ticket's words do not (the article's passage is in the article's).
        requester = ticket.requester_locale
        if requester is None and locale is not None and found.sure_language not in TEMPLATES:
            requester = locale()
        wanted = reply_language(found, analysis.language, article.locale, passage, requester)
        written = writer(article_text(body), wanted)
        if (
            written is not None
            and grounded(written, body) is None
            and reports_action(written) is None  # the LLM may claim what the source did not
            and unquotable(written) is None
        ):
            answer, source, language = written, "llm", wanted
    opinion = None
    if second is not None and delivery == "send":
        said = second(passage)
        opinion = said.reason
        if not said.agrees:
            delivery = "draft"  # the gate and the LLM disagree: a person decides
    text = compose(
        language=language,
        answer=answer,
        title=article.title,
        url=article.url,
        name=name() if name is not None else None,
    )
    return (
        AnswerPlan(
            ticket_id=ticket.id,
            delivery=delivery,
            category=analysis.category,
            article_id=article.article_id,
            article_url=article.url,
            language=language,
            probability=round(choice.probability, 4),
            body=text,
            requester_id=ticket.requester_id,
            source=source,  # type: ignore[arg-type]
            second_opinion=opinion,
        ),
        None,
    )
