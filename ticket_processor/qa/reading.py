"""The QA reading of a solved ticket's conversation: three points, each with the messages it
rests on.

1. **Answered**: a public reply (an agent's, or ticketbot's own answer) came after the
   customer's last question, and the customer did not write again saying it did not help.
2. **Asked twice**: two replies asked the customer for the same item (an order number, a
   screenshot, an e-mail address ...): a reading of a small word list of items and request
   cues, not an understanding of the text.
3. **Tone**: each reply read against a small lexicon of warm and curt words (curt also: a
   very short reply with no warm word): a heuristic.

Pure functions over a ``Conversation`` (no I/O, no LLM call). Quotes are redacted with the
same redaction that runs before the LLM (``triage.redact``), so the page shows no e-mail
address, phone or card number a customer wrote. Internal notes are never read: they are not
the conversation the customer saw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models.helpdesk import Conversation, Message
from ..triage.redact import redact

DONE = ("solved", "closed")
QUOTE_CHARS = 100
MOST_CITED = 5

# A customer's message saying the reply did not solve it: checked before the thanks, which
# "not solved" would otherwise read as.
NOT_HELPED = (
    "did not help",
    "didn't help",
    "does not help",
    "doesn't help",
    "does not work",
    "doesn't work",
    "did not work",
    "didn't work",
    "still not",
    "still broken",
    "still have the",
    "still the same",
    "same problem",
    "not solved",
    "not fixed",
    "not resolved",
    "reopen",
    "re-open",
)
QUESTION_OPENERS = (
    "how ",
    "why ",
    "what ",
    "when ",
    "where ",
    "can ",
    "could ",
    "is ",
    "are ",
    "do ",
    "does ",
)
# The items an agent asks a customer for, each under the words that name it.
ASKED_ITEMS: dict[str, tuple[str, ...]] = {
    "an order number": ("order number", "order id", "order no", "order #"),
    "a screenshot": ("screenshot", "screen shot", "screen capture"),
    "an e-mail address": ("email address", "e-mail address", "your email", "your e-mail"),
    "a phone number": ("phone number", "telephone number"),
    "an invoice number": ("invoice number", "invoice id"),
    "a tracking number": ("tracking number", "tracking id"),
    "a serial number": ("serial number",),
    "an account id": ("account id", "account number", "customer number", "username"),
    "the error message": ("error message", "error code"),
}
# What makes a mention of an item a request for it.
REQUEST_CUES = (
    "please",
    "could you",
    "can you",
    "would you",
    "send us",
    "send me",
    "provide",
    "share",
    "let us know",
    "let me know",
    "we need",
    "i need",
    "?",
)
WARM = (
    "thank",
    "happy to",
    "glad",
    "sorry",
    "apolog",
    "appreciate",
    "hope this helps",
    "my pleasure",
    "you're welcome",
    "you are welcome",
    "understand",
    "great question",
    "have a great",
    "have a nice",
)
CURT = (
    "as i said",
    "as i already",
    "as stated",
    "as already",
    "already told",
    "per my last",
    "you must",
    "you need to read",
    "read the",
    "obviously",
    "not our problem",
    "nothing we can do",
    "we can't help",
    "we cannot help",
    "stop ",
)
SHORT_WORDS = 5  # a reply this short with no warm word reads as curt


@dataclass(frozen=True)
class Cited:
    """A message a point rests on: its place in the conversation (1: the ticket's first
    message; internal notes counted, as the helpdesk lists them), its id in the helpdesk
    (None: the first message, which is the ticket itself), who wrote it and a redacted
    quote."""

    position: int
    message_id: int | None
    who: str
    quote: str


@dataclass(frozen=True)
class QaPoint:
    """One point of the reading: ``name`` (``answered``, ``asked_twice``, ``tone``), the
    ``verdict`` (yes / no; curt / neutral / warm), why, and the messages it rests on."""

    name: str
    verdict: str
    why: str
    cited: tuple[Cited, ...]


@dataclass(frozen=True)
class _Said:
    position: int
    message: Message | None  # None: the first message
    who: str  # "customer", "agent" or "ticketbot"
    text: str  # lower-cased, for the word lists
    body: str


def qa_reading(conversation: Conversation) -> tuple[QaPoint, ...] | None:
    """The three points of a solved or closed ticket's conversation; None while it is open."""
    if conversation.ticket.status not in DONE:
        return None
    said = _public(conversation)
    return (_answered(said), _asked_twice(said), _tone(said))


def _public(conversation: Conversation) -> list[_Said]:
    """The messages the customer saw, in order, with their places among all messages."""
    first = conversation.ticket.description
    said = [_Said(1, None, "customer", first.lower(), first)]
    for position, message in enumerate(conversation.messages, start=2):
        if not message.public:
            continue
        who = (
            "customer"
            if message.from_requester
            else "ticketbot"
            if message.from_ticketbot
            else "agent"
        )
        said.append(_Said(position, message, who, message.body.lower(), message.body))
    return said


def _answered(said: list[_Said]) -> QaPoint:
    replies = [s for s in said if s.who != "customer"]
    customers = [s for s in said if s.who == "customer"]
    last = said[-1]
    if last.who == "customer" and len(customers) > 1 and _has(last.text, NOT_HELPED):
        earlier = [r for r in replies if r.position < last.position][-1:]
        why = "the customer wrote last, saying the reply did not help"
        return QaPoint("answered", "no", why, _cite([*earlier, last]))
    questions = [c for c in customers if _is_question(c.text)] or customers
    question = questions[-1]
    after = [r for r in replies if r.position > question.position]
    if not after:
        why = "no public reply came after the customer's last question"
        return QaPoint("answered", "no", why, _cite([question]))
    why = "a public reply came after the customer's last question"
    if last.who == "customer":
        why += ", and the customer's last message does not say it did not help"
    return QaPoint("answered", "yes", why, _cite([question, after[0]]))


def _is_question(text: str) -> bool:
    return "?" in text or text.lstrip().startswith(QUESTION_OPENERS)


def _asked_twice(said: list[_Said]) -> QaPoint:
    replies = [s for s in said if s.who != "customer"]
    asked: dict[str, list[tuple[_Said, str]]] = {}
    for reply in replies:
        for item, words in ASKED_ITEMS.items():
            word = next((w for w in words if w in reply.text), None)
            if word is not None and _has(_sentence(reply.text, word), REQUEST_CUES):
                asked.setdefault(item, []).append((reply, word))
    twice = {item: found for item, found in asked.items() if len(found) > 1}
    if not twice:
        once = [found[0] for found in asked.values()]
        why = "no item of the word list was asked for in two replies"
        if once:
            why += f" (asked once: {', '.join(asked)})"
        return QaPoint("asked_twice", "no", why, _cite([s for s, _ in once], once))
    item, found = next(iter(twice.items()))
    why = f"{item} was asked for in {len(found)} replies"
    if len(twice) > 1:
        why += f" (also asked again: {', '.join(list(twice)[1:])})"
    return QaPoint("asked_twice", "yes", why, _cite([s for s, _ in found], found))


def _sentence(text: str, word: str) -> str:
    """The sentence of ``text`` that holds ``word`` (its request cue is read there)."""
    at = text.index(word)
    start = max(text.rfind(".", 0, at), text.rfind("!", 0, at), text.rfind("\n", 0, at)) + 1
    ends = [i for i in (text.find(c, at) for c in ".!?\n") if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end]


def _tone(said: list[_Said]) -> QaPoint:
    replies = [s for s in said if s.who != "customer"]
    if not replies:
        return QaPoint("tone", "neutral", "no public reply to read", ())
    read = [(reply, _reply_tone(reply.text)) for reply in replies]
    curt = [r for r, tone in read if tone == "curt"]
    warm = [r for r, tone in read if tone == "warm"]
    if curt:
        why = f"{len(curt)} of {len(replies)} replies read as curt"
        return QaPoint("tone", "curt", why, _cite(curt))
    if 2 * len(warm) >= len(replies):
        why = f"{len(warm)} of {len(replies)} replies read as warm"
        return QaPoint("tone", "warm", why, _cite(warm))
    why = f"{len(warm)} of {len(replies)} replies read as warm, none as curt"
    return QaPoint("tone", "neutral", why, _cite(replies))


def _reply_tone(text: str) -> str:
    warm = sum(w in text for w in WARM)
    curt = sum(w in text for w in CURT)
    if curt > warm or (not warm and len(text.split()) <= SHORT_WORDS):
        return "curt"
    return "warm" if warm > curt else "neutral"


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(w in text for w in words)


def _cite(said: list[_Said], around: list[tuple[_Said, str]] | None = None) -> tuple[Cited, ...]:
    """Each message once, in order, with a redacted quote (around its item's word when
    given), at most ``MOST_CITED``."""
    words = {id(s): w for s, w in around or []}
    seen: dict[int, Cited] = {}
    for s in said:
        if s.position not in seen:
            quote = _quote(s.body, words.get(id(s)))
            message_id = None if s.message is None else s.message.id
            seen[s.position] = Cited(s.position, message_id, s.who, quote)
    return tuple(sorted(seen.values(), key=lambda c: c.position))[:MOST_CITED]


def _quote(body: str, word: str | None) -> str:
    text = re.sub(r"\s+", " ", redact(body)[0]).strip()
    start = 0
    if word is not None:
        at = text.lower().find(word)
        start = max(0, at - QUOTE_CHARS // 2) if at >= 0 else 0
    cut = text[start : start + QUOTE_CHARS]
    return ("…" if start else "") + cut + ("…" if start + QUOTE_CHARS < len(text) else "")
