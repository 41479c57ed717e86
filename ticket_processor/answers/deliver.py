"""Sending one planned reply exactly once, over the ``AnswerDesk`` protocol.

``deliver`` reads the conversation again right before sending: a reply of ticketbot's already
there (a run killed after sending) is finished (tags and status put in place), never sent
again. Which reply is ticketbot's is judged by ticketbot's own record of what it sends (the
answers' book hands the plan's text here), not by the author alone: where ticketbot signs in as
an agent who also replies by hand, that agent's reply is an agent's reply, never "sent". An
agent's public reply, an assignee, a solved ticket or an earlier answer cancel the reply; a
ticket whose triage write has not landed yet waits. Both helpdesk adapters implement
``AnswerDesk`` (Zendesk: one ``PUT`` with a public comment, status pending and the tags;
Freshdesk: ``POST /tickets/{id}/reply``, then status Pending and the tags).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import TicketBotError
from ..models import Conversation, Message
from .vocab import AnswerPlan, answered_tag, article_tag, reopened_tag

# Words of the plan's text a message must open with to be the reply ticketbot sent: the helpdesk
# may append a signature, and reads its HTML back as text with other spacing.
_SAME_WORDS = 40
_WORDS = re.compile(r"\w+")

Delivered = Literal[
    "sent", "finished", "waiting", "gone", "agent_answered", "assigned", "closed", "answered_before"
]


class AnswerDesk(Protocol):
    """What answering needs of a helpdesk, beyond the ``Helpdesk`` protocol."""

    def conversation(self, ticket_id: int) -> Conversation | None: ...

    def requester_name(self, user_id: int) -> str | None:
        """The customer's name as the helpdesk holds it (None when it cannot be read)."""
        ...

    def post_answer(self, ticket_id: int, body: str, *, add_tags: Sequence[str]) -> str | None:
        """A public reply from the API token's user, status pending, ``add_tags`` added; the
        reply's id where the helpdesk's answer gives it."""
        ...

    def set_status(
        self,
        ticket_id: int,
        status: str | None,
        *,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        note: str | None = None,
    ) -> None:
        """Status (ticketbot's words: open, pending, solved; None: left as it is), tags added
        and removed, and an internal note, if any."""
        ...


def answer_tags(plan: AnswerPlan, prefix: str) -> tuple[str, ...]:
    """``<prefix>answered`` and the source's tag: an article's id, or, for a source that names
    itself in its entry's url as ``<kind> <id>`` (a helpdesk's saved reply), that kind and its
    own id (``<prefix>answer_<kind>_<id>``) rather than the index's internal hash of it, which
    names nothing an agent can look up."""
    kind, _, own_id = plan.article_url.partition(" ")
    if kind.isalpha() and own_id.isdigit():
        return (answered_tag(prefix), f"{prefix}answer_{kind}_{own_id}")
    if not plan.article_id:  # a reply grounded on a record looked up: no article to name
        return (answered_tag(prefix),)
    return (answered_tag(prefix), article_tag(prefix, plan.article_id))


@dataclass(frozen=True)
class SendResult:
    """What ``send_once`` did: the outcome, the ticket's status before (what a revert
    restores) and the public reply's id, when one was sent and the helpdesk named it."""

    outcome: Delivered
    before: str | None = None
    reply_id: str | None = None


def deliver(
    desk: AnswerDesk, plan: AnswerPlan, *, prefix: str, marker: str
) -> tuple[Delivered, str | None]:
    """Send ``plan`` unless the conversation as it is now says not to: what happened, and the
    ticket's status before (what a revert restores)."""
    done = send_once(desk, plan, prefix=prefix, marker=marker)
    return done.outcome, done.before


def send_once(desk: AnswerDesk, plan: AnswerPlan, *, prefix: str, marker: str) -> SendResult:
    """``deliver``, with the reply's id."""
    conversation = desk.conversation(plan.ticket_id)
    if conversation is None:
        return SendResult("gone")
    ticket = conversation.ticket
    outcome, reply_id = _deliver(desk, plan, conversation, prefix=prefix, marker=marker)
    return SendResult(outcome, ticket.status, reply_id)


def _deliver(
    desk: AnswerDesk, plan: AnswerPlan, conversation: Conversation, *, prefix: str, marker: str
) -> tuple[Delivered, str | None]:
    ticket = conversation.ticket
    ours = [m for m in conversation.messages if m.public and is_sent_text(m, plan.body)]
    tags = answer_tags(plan, prefix)
    if ours:
        # Sent by a run that did not live to record it: put its tags and status in place.
        if answered_tag(prefix) not in ticket.tags:
            desk.set_status(plan.ticket_id, "pending", add_tags=tags)
        return "finished", str(ours[0].id)
    if answered_tag(prefix) in ticket.tags or reopened_tag(prefix) in ticket.tags:
        return "answered_before", None
    if marker not in ticket.tags:
        return "waiting", None  # the triage write that announces the reply has not landed yet
    if ticket.status in ("solved", "closed"):
        return "closed", None
    if ticket.assignee_id is not None:
        return "assigned", None
    if agent_replied(conversation):
        return "agent_answered", None  # ticketbot's own user included: not the text it sends
    return "sent", desk.post_answer(plan.ticket_id, plan.body, add_tags=tags)


def agent_replied(conversation: Conversation) -> bool:
    """A public reply from anyone but the requester: an agent's (ticketbot's own user included,
    for an agent who shares its login; a reply ticketbot sent is found by its text first)."""
    return any(m.public and not m.from_requester for m in conversation.messages)


def replied_before(desk: AnswerDesk, ticket_id: int) -> str | None:
    """Why no reply may be planned, from the conversation as it is when the answer is planned:
    ``agent_answered`` when an agent has replied (the note must not announce a reply that the
    send would cancel), ``conversation_unread`` when it cannot be read; None: no one has."""
    try:
        conversation = desk.conversation(ticket_id)
    except TicketBotError:
        return "conversation_unread"
    if conversation is not None and agent_replied(conversation):
        return "agent_answered"
    return None


def is_sent_text(message: Message, body: str) -> bool:
    """``message`` is the reply ticketbot sends with ``body``: written by ticketbot's user and
    opening with the same words."""
    if not message.from_ticketbot:
        return False
    wanted = _WORDS.findall(body.casefold())[:_SAME_WORDS]
    return bool(wanted) and _WORDS.findall(message.body.casefold())[: len(wanted)] == wanted
