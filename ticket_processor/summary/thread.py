"""A ticket's conversation as the summary reads it: who wrote what, oldest first, redacted.

The customer's first message (subject and description), then every later message a person
wrote: the requester's public replies (``customer``), agents' replies and agents' own internal
notes (``agent``), these left out when the summary's field is one the customer sees
(``public_only``). ticketbot's notes are left out (they describe, they are not the thread), as
is a message that carries a ticketbot trailer (a note an agent pasted); a public reply of
ticketbot's own (an answer it sent) is the agents' side of the thread, read as an agent's.
Quoted history and signatures are stripped (``triage.reply_text``), markup turned to text,
whitespace folded, and personal data replaced with placeholders before anything reads it, the
names and e-mails the helpdesk knows on the ticket (``triage.redact_names``) as the triage's
text has them, then the patterns (``triage.redact``): the summary is shown in views and
reports, and with an LLM the thread is what is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..models import Conversation, Person
from ..triage.prepare import clean, cut, fold_whitespace, html_to_text
from ..triage.redact import redact
from ..triage.redact_names import redact_names
from ..triage.reply_text import strip_reply
from ..writeback.trailer import TRAILER_TAG

Author = Literal["customer", "agent"]
# A message's text is cut to this many characters: a summary names the gist, and the
# encoder and the LLM read the start of a text.
TURN_CHARS = 2000
# At most this many messages are read, the first and the latest ones: the problem is in the
# first, where it stands in the latest.
MAX_TURNS = 30


@dataclass(frozen=True)
class Turn:
    """One message of the thread: who wrote it and its text, as the summary reads it."""

    author: Author
    text: str


@dataclass(frozen=True)
class SummaryThread:
    """The subject and the turns, oldest first (the first is the customer's first message)."""

    subject: str
    turns: tuple[Turn, ...]

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None


def _readable(text: str, *, reply: bool, people: Sequence[Person] = ()) -> str:
    plain = html_to_text(clean(text))
    if reply:
        plain = strip_reply(plain)
    plain = redact_names(plain, people)[0]
    return cut(fold_whitespace(redact(plain)[0]), TURN_CHARS)


def thread_of(conversation: Conversation, *, public_only: bool = False) -> SummaryThread:
    """The thread of ``conversation`` (its ticket's description is the first message).
    ``public_only``: the summary goes where the customer sees it, so only what the customer
    can already see is read: agents' internal notes are left out, never summarised."""
    ticket = conversation.ticket
    people = ticket.people
    turns = [Turn("customer", _readable(ticket.description, reply=False, people=people))]
    for message in conversation.messages:
        if (message.from_ticketbot and not message.public) or TRAILER_TAG in message.body:
            continue  # ticketbot's notes; a public reply of its own (an answer sent) is read
        if public_only and not message.public:
            continue
        if message.from_requester and not message.public:
            continue  # not something a requester can write; never read as theirs
        author: Author = "customer" if message.from_requester else "agent"
        text = _readable(message.body, reply=True, people=people)
        if text:
            turns.append(Turn(author, text))
    subject = _readable(ticket.subject, reply=False, people=people)
    return SummaryThread(subject, _bounded(turns))


def thread_from(subject: str, turns: Sequence[tuple[Author, str]]) -> SummaryThread:
    """A thread from plain (author, text) pairs: a labelled file's, read as a helpdesk's is."""
    read = [Turn(a, _readable(t, reply=i > 0)) for i, (a, t) in enumerate(turns)]
    return SummaryThread(_readable(subject, reply=False), _bounded([t for t in read if t.text]))


def _bounded(turns: list[Turn]) -> tuple[Turn, ...]:
    if len(turns) <= MAX_TURNS:
        return tuple(turns)
    return (turns[0], *turns[-(MAX_TURNS - 1) :])
