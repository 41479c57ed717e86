"""Replies grounded on a record another feature looked up (the actions' lookups: "where is my
order?"), sent as the answers send an article's: planned in the answers' book before the note
announcing it, never over an agent, once across a kill.

The feature that looked the record up offers the reply (``GroundedReplies.offer``), in the team's
own words filled with the requester's own record, with the text it may draw on; ``decide_grounded``
plans it where the ticket's category sends answers, after the guards every answer passes (an
agent's reply or an assignee, an angry customer, a person asked for...) and the screen every
reply passes (``screen.unsafe``: no number, address, e-mail or secret the record and the
template do not hold). A ticket about the customer's own case is what a lookup answers, so that
guard is left out, and so is a cue of needing a person that only says the order has not
arrived (``person_needed``). A ticket whose lookup found someone else's record, or failed, is held:
it gets no reply at all (``hold``). Where the action asks for it and an LLM writes answers, the
reply is the LLM's words from the offer's facts alone (the record's declared reply values), kept
only when they pass the checks an article's LLM answer passes (``compose.grounded``). Pure but
for the offers' table, which worker threads share.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from ..kb.text import fold
from ..models import Ticket, Triage
from ..triage.done_claims import reports_action
from ..triage.screen import unsafe
from .compose import grounded
from .decide import Refusal, needs_person, refusal
from .plan import Circumstances, TicketCues, Writer, ticket_facts
from .vocab import AnswerPlan

KEPT = 10_000  # a server's offers: the oldest were planned long ago
# What the record answers though an article cannot: an order that has not arrived (its status
# and tracking number are the answer). Folded text; money that did not arrive still needs a
# person (``_MONEY``), as every other cue of ``decide.needs_person`` does.
_NOT_ARRIVED = re.compile(
    r"\b(?:not|never|n't|nicht|nie|pas|jamais|no|niet|nooit|nao)\b[^.?!]{0,30}?"
    r"\b(?:arriv\w*|receiv\w*|come|angekommen|erhalten|eingegangen|recu\w*|llegado|recibido|"
    r"ontvangen|aangekomen|chegou|recebi)\b"
)
_MONEY = re.compile(
    r"\b(?:refund\w*|money|charg\w*|paid|payment|billed|erstattung|geld|ruckzahlung|"
    r"rembours\w*|argent|reembols\w*|dinero|terugbeta\w*|dinheiro|credit\w*)\b"
)


@dataclass(frozen=True)
class Offered:
    body: str  # the reply as the customer would read it
    source: str  # what it may draw on: the team's templates and the record's reply values
    # Why the ticket gets no reply at all (its lookup found someone else's record, or failed):
    # an article's reply would answer the question the record was to answer.
    held: Refusal | None = None
    needs: bool = False  # the ticket asks what only a person can do, beyond where its order is
    facts: str = ""  # what an LLM may word the reply from ("": the team's words are sent)


class GroundedReplies:
    """The replies offered this run, by ticket (read again when a ticket is re-planned)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offers: dict[int, Offered] = {}
        self._planned: set[int] = set()

    def offer(
        self, ticket_id: int, body: str, source: str, text: str = "", facts: str = ""
    ) -> None:
        """The reply ``body`` for a ticket (``text``: its words, read here for what still needs
        a person, and not kept; ``facts``: what an LLM may word it from instead)."""
        with self._lock:
            self._offers[ticket_id] = Offered(body, source, needs=person_needed(text), facts=facts)
            if len(self._offers) > KEPT:
                self._offers.pop(next(iter(self._offers)))

    def hold(self, ticket_id: int, reason: Refusal) -> None:
        """The ticket gets no automated reply, for ``reason``."""
        with self._lock:
            self._offers[ticket_id] = Offered("", "", reason)

    def get(self, ticket_id: int) -> Offered | None:
        with self._lock:
            return self._offers.get(ticket_id)

    def planned(self, ticket_id: int) -> bool:
        """The offered reply is planned to be sent (its feature's note need not draft it)."""
        with self._lock:
            return ticket_id in self._planned

    def decide(
        self,
        ticket: Ticket,
        triage: Triage,
        found: TicketCues,
        where: Circumstances,
        offered: Offered,
        replied: Callable[[], Refusal | None],
        writer: Writer | None = None,
    ) -> tuple[AnswerPlan | None, Refusal | None]:
        """``decide_grounded``, remembered for ``planned``."""
        plan, reason = decide_grounded(ticket, triage, found, where, offered, replied, writer)
        with self._lock:
            if plan is None:
                self._planned.discard(ticket.id)
            else:
                self._planned.add(ticket.id)
                if len(self._planned) > KEPT:
                    self._planned.discard(min(self._planned))
        return plan, reason


def decide_grounded(
    ticket: Ticket,
    triage: Triage,
    found: TicketCues,
    where: Circumstances,
    offered: Offered,
    replied: Callable[[], Refusal | None],
    writer: Writer | None = None,
) -> tuple[AnswerPlan | None, Refusal | None]:
    """The grounded reply this ticket is sent (None, with the reason, when it is not): the
    LLM's words (``writer``) where the offer has facts for it and they pass the screen every
    LLM answer passes, else the team's."""
    if offered.held is not None:
        return None, offered.held
    # The customer's own case is what the record answers: the own-case and person-needed
    # readings (an order's status is "own case" to both) give way to the lookup's own.
    facts = replace(
        ticket_facts(ticket, triage, found, where),
        own_case=False,
        needs_person=offered.needs,
        person_needed=False,
    )
    reason = refusal(facts)
    if reason is not None:
        return None, reason
    if unsafe(offered.body, offered.source) is not None:
        return None, "unsafe_reply"
    reason = replied()
    if reason is not None:
        return None, reason
    language = triage.analysis.language or "en"
    body = offered.body
    text_from: Literal["lookup", "lookup_llm"] = "lookup"
    # Only the facts reach the LLM (the record's declared reply values), never the ticket; the
    # writing call is the one an article's answer would have made, so none is added.
    written = writer(offered.facts, language) if writer is not None and offered.facts else None
    if written is not None and _supported(written, offered):
        body, text_from = written, "lookup_llm"
    return (
        AnswerPlan(
            ticket_id=ticket.id,
            delivery="send",
            category=triage.analysis.category,
            article_id=0,  # no article: the record looked up
            article_url="",
            language=language,
            probability=1.0,
            body=body,
            requester_id=ticket.requester_id,
            source=text_from,
        ),
        None,
    )


def _supported(written: str, offered: Offered) -> bool:
    """The LLM's reply says only what the facts hold: each sentence theirs (``grounded``), no
    number, address or link the record and the template lack, no claim of something done."""
    return (
        grounded(written, offered.facts) is None
        and unsafe(written, offered.source) is None
        and reports_action(written) is None
    )


def person_needed(text: str) -> bool:
    """``decide.needs_person`` but for an order that has not arrived, which the record answers
    (money that did not arrive still needs a person)."""
    folded = fold(text)
    if _MONEY.search(folded):
        return needs_person(text)
    return needs_person(_NOT_ARRIVED.sub(" ", folded))
