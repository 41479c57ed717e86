"""One ticket's answer decided: the mode its category answers in, the guards, the article, the
reply's text. Pure: everything it needs is handed in as values.

``cues`` reads the ticket's own text once, when the run takes the ticket (the text is let go
before the analysis): whether it needs a person, is angry or automatic, and the content words
the excerpt is chosen by. Only those words travel on; the reply never quotes the ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..kb.text import article_text, query_terms, words
from ..models import Ticket, Triage
from ..triage.confidence import Calibration
from ..triage.language import detect_language
from .compose import TEMPLATES, compose, excerpt, grounded
from .decide import (
    Refusal,
    TicketFacts,
    angry,
    automatic,
    choose_article,
    needs_person,
    refusal,
)
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


def cues(subject: str, body: str) -> TicketCues:
    text = f"{subject}\n{body}"
    return TicketCues(
        needs_person=needs_person(text),
        angry=angry(text),
        automatic=automatic(subject, body),
        terms=" ".join(query_terms(text)),
        language=detect_language(words(text)),
    )


def reply_language(
    found: TicketCues, analysis_language: str, article_locale: str, answer: str = ""
) -> str:
    """The reply's language: the ticket's by its words, else the engine's, else the answering
    article's locale (an article in the ticket's locale is chosen first), else the language of
    the answer's own words (a help centre that does not label its translations), else
    English. The word count says "en" when unsure, so a definite other language wins."""
    article = article_locale.split("-")[0].lower()
    spoken = detect_language(words(answer)) if answer else "en"
    for candidate in (found.language, analysis_language, article, spoken):
        if candidate in TEMPLATES and candidate != "en":
            return candidate
    return "en"


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


def decide(
    ticket: Ticket,
    triage: Triage,
    found: TicketCues,
    where: Circumstances,
    article_body: Callable[[int, str], str],
    writer: Writer | None = None,
    name: Callable[[], str | None] | None = None,
) -> tuple[AnswerPlan | None, Refusal | None]:
    """The answer this ticket gets (None, with the reason, when it gets none). ``name``: the
    customer's name, asked only for a reply that is going to be written (the greeting takes its
    first word when it is a plain name; the LLM never sees it)."""
    if where.mode == "off":
        return None, "off"
    analysis = triage.analysis
    facts = TicketFacts(
        status=ticket.status,
        assignee_id=ticket.assignee_id,
        sentiment=analysis.sentiment,
        urgency=analysis.urgency,
        escalated=where.escalated,
        requester_is_agent=where.requester_is_agent,
        agent_replied=False,  # read again right before sending (``deliver``)
        automatic=found.automatic,
        needs_person=found.needs_person,
        angry=found.angry,
        answered_before=where.answered_here
        or answered_tag(where.prefix) in ticket.tags
        or reopened_tag(where.prefix) in ticket.tags,
        requester_answered_at=where.requester_answered_at,
        now=where.now,
    )
    reason = refusal(facts)
    if reason is not None:
        return None, reason
    choice, reason = choose_article(triage.suggestions, where.calibration)
    if choice is None:
        return None, reason
    if choice.probability < where.threshold:
        return None, "below_threshold"
    article = choice.suggestion
    body = article_body(article.article_id, article.locale)
    passage = excerpt(body, found.terms)
    if not passage:
        return None, "empty_article"
    language = reply_language(found, analysis.language, article.locale, passage)
    answer, source = passage, "excerpt"
    delivery: Delivery = "send" if where.mode == "send" else "draft"
    if writer is not None:
        written = writer(article_text(body), language)
        if written is not None and grounded(written, body) is None:
            answer, source = written, "llm"
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
        ),
        None,
    )
