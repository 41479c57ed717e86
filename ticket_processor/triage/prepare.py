"""Ticket text preparation: what of a ticket may leave the machine for the LLM, and its identity.

``prepare_ticket`` turns a raw subject and description into a ``PreparedTicket``: invisible and
control characters stripped, HTML turned into text, quoted reply history and signatures cut,
whitespace folded, personal data redacted (``redact.py``) and the body cut to a token budget,
keeping the start (where customers say what they want).

Hostile input is the normal case here: a 1 MB body is capped before any regex sees it, and every
pattern is linear, so preparation stays in milliseconds whatever arrives.
"""

from __future__ import annotations

import hashlib
import html
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..common.patterns import LazyPattern
from ..models import Person
from .note_text import strip_escapes
from .redact_names import redact_names

CHARS_PER_TOKEN = 4
SUBJECT_MAX_CHARS = 250
TRUNCATION_MARK = " [truncated]"
# Raw text beyond this is never looked at: quoted history and signatures sit at the end, and
# the budget keeps the start anyway. Generous so HTML markup does not eat the real text.
RAW_FLOOR_CHARS = 64_000
RAW_BUDGET_FACTOR = 8
# Redaction runs on a window a little larger than the final cut, so a number straddling the
# cut is redacted whole instead of leaking its first digits.
REDACTION_MARGIN = 256
# The cleaning patterns below compile on the first ticket prepared (``LazyPattern``): a run that
# finds no ticket compiles none.

_INVISIBLE = LazyPattern(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0/C1 controls except \t \n \r
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"  # soft hyphen, fillers
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f"  # zero-width, bidi embeddings/overrides
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)

# --- HTML -------------------------------------------------------------------------------

# A subject or body is turned into text when it holds one of these tags.
_LOOKS_HTML = LazyPattern(r"(?i)<(?:html|body|div|p|br|span|table|blockquote|a\s|b>|i>|li|ul)\b")
# In a body (always HTML to the helpdesks), ``script`` and ``style`` count on their own, so code
# in an otherwise plain body never reaches the summary or the LLM as words. A subject is plain
# text to both helpdesks: one that reads ``<script>…`` is the customer's words, shown escaped.
_BODY_LOOKS_HTML = LazyPattern(rf"{_LOOKS_HTML.pattern}|(?i:<(?:script|style)\b)")
# ``[^<>]`` (not ``[^>]``) stops each attempt at the next tag: ``<div <div <div`` stays linear.
_DROPPED = ("script", "style", "head", "title")
_HTML_DROP_OPEN = LazyPattern(rf"(?i)<({'|'.join(_DROPPED)})\b[^<>]{{0,1000}}>")
# Mail clients mark the quoted history: Gmail, Outlook, Apple Mail, Thunderbird.
_HTML_QUOTE_START = LazyPattern(
    r"(?i)<blockquote\b|<div[^<>]{0,200}class=\"?[^\"<>]{0,100}(?:gmail_quote|moz-cite-prefix)"
    r"|<div[^<>]{0,200}id=\"?(?:appendonsend|divRplyFwdMsg)"
)
_HTML_BREAK = LazyPattern(r"(?i)<(?:br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr|h[1-6])\b[^<>]{0,1000}>")
_HTML_TAG = LazyPattern(r"<[^<>]{0,2000}>")


_CLOSING = {name: LazyPattern(rf"(?i)</{name}\b[^<>]{{0,100}}>") for name in _DROPPED}
_COMMENT_OPEN = LazyPattern(r"<!--")
_COMMENT_CLOSE = LazyPattern(r"-->")


def drop_elements(text: str) -> str:
    """Remove comments and script/style/head/title elements; an unclosed one swallows the rest.

    A loop of searches rather than one lazy regex: a lazy ``.*?`` rescans to the end of the text
    for every unclosed ``<script>`` or ``<!--``, which is quadratic on hostile input.
    """
    for opening_pattern in (_COMMENT_OPEN, _HTML_DROP_OPEN):
        parts: list[str] = []
        position = 0
        while True:
            opening = opening_pattern.search(text, position)
            if opening is None:
                parts.append(text[position:])
                break
            parts.append(text[position : opening.start()])
            closing_pattern = (
                _CLOSING[opening.group(1).lower()] if opening.groups() else _COMMENT_CLOSE
            )
            closing = closing_pattern.search(text, opening.end())
            if closing is None:
                break
            position = closing.end()
            parts.append(" ")
        text = "".join(parts)
    return text


def html_to_text(text: str) -> str:
    """Plain text of an HTML body: scripts/styles dropped, quoted history cut, entities decoded."""
    text = drop_elements(text)
    quote = _HTML_QUOTE_START.search(text)
    if quote and quote.start() > 0:
        text = text[: quote.start()]
    text = _HTML_BREAK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    return html.unescape(text)


# --- quoted history and signatures -------------------------------------------------------

_HISTORY_MARKERS = LazyPattern(
    r"(?im)^[ \t]*(?:"
    r"On\b[^\n]{0,300}(?:\n[^\n]{0,300})?\bwrote:[ \t]*$"
    r"|Am\b[^\n]{0,300}(?:\n[^\n]{0,300})?\bschrieb[^\n]{0,100}:[ \t]*$"
    r"|Le\b[^\n]{0,300}(?:\n[^\n]{0,300})?\ba écrit[ \t]*:[ \t]*$"
    r"|El\b[^\n]{0,300}(?:\n[^\n]{0,300})?\bescribió[ \t]*:[ \t]*$"
    r"|Op\b[^\n]{0,300}(?:\n[^\n]{0,300})?\bschreef[^\n]{0,100}:[ \t]*$"
    r"|Em\b[^\n]{0,300}(?:\n[^\n]{0,300})?\bescreveu[ \t]*:[ \t]*$"
    # A forwarded or original message's header line, in the note's languages, as the common
    # mail clients write it (Gmail's, Outlook's, Apple Mail's, Thunderbird's).
    r"|-{2,}[ \t]*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine"
    r"|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Mensaje original"
    r"|Doorgestuurd bericht|Oorspronkelijk bericht|Mensagem encaminhada|Mensagem original"
    r"|Messaggio inoltrato|Messaggio originale)"
    r"[ \t]*-{2,}"
    r"|(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht"
    r"|Début du message (?:réexpédié|transféré)|Inicio del mensaje reenviado"
    r"|Begin van doorgestuurd bericht|Início da mensagem reencaminhada)[ \t]*:[ \t]*$"
    r"|_{10,}[ \t]*$"
    r"|From:[^\n]{1,300}\n(?:[^\n]{0,300}\n){0,3}?[ \t]*(?:Sent|Date):"
    r"|Von:[^\n]{1,300}\n(?:[^\n]{0,300}\n){0,3}?[ \t]*(?:Gesendet|Datum):"
    r"|De ?:[^\n]{1,300}\n(?:[^\n]{0,300}\n){0,3}?[ \t]*(?:Envoyé|Date|Enviado|Fecha) ?:"
    r"|Van:[^\n]{1,300}\n(?:[^\n]{0,300}\n){0,3}?[ \t]*(?:Verzonden|Datum):"
    r")"
)
_QUOTED_LINE = LazyPattern(r"(?m)^[ \t]*>[^\n]*\n?")
_SIGNATURE_DELIMITER = LazyPattern(r"(?m)^-- ?$")
_MOBILE_FOOTER = LazyPattern(
    r"(?im)^[ \t]*(?:Sent from my [^\n]{1,40}|Get Outlook for [^\n]{1,20}"
    r"|Sent from (?:Mail|Yahoo Mail|Outlook) for [^\n]{1,30}|Von meinem [^\n]{1,40} gesendet)"
    r"[ \t]*$"
)
_SIGN_OFF = LazyPattern(
    r"(?im)^[ \t]*(?:(?:best|kind|warm|many thanks and)? ?regards|best wishes|best|cheers|thanks"
    r"|thank you|many thanks|sincerely|yours sincerely|yours truly|mit freundlichen grüßen"
    r"|viele grüße|beste grüße|cordialement|bien à vous|saludos|atentamente)[ \t]*[,!.]?[ \t]*$"
)
_SIGN_OFF_TAIL_LINES = 6


def split_history(text: str) -> tuple[str, str]:
    """(the sender's own words, what they quote or forward): the text before the first reply
    or forward header with its ``>`` lines taken out, and the rest with those lines."""
    marker = _HISTORY_MARKERS.search(text)
    own, quoted = (text[: marker.start()], text[marker.end() :]) if marker else (text, "")
    lines = _QUOTED_LINE.findall(own)
    if lines:
        own = _QUOTED_LINE.sub("", own)
        quoted = "".join(line.lstrip(" \t>") for line in lines) + quoted
    return own, quoted


def trim_history(text: str) -> str:
    """Cut quoted reply history and the trailing signature; keep the customer's own words."""
    marker = _HISTORY_MARKERS.search(text)
    if marker and text[: marker.start()].strip():
        text = text[: marker.start()]
    elif marker:
        # The whole message is a forward: the quoted part is all there is, keep it.
        text = text[marker.end() :]
    without_quotes = _QUOTED_LINE.sub("", text)
    if without_quotes.strip():
        text = without_quotes
    delimiter = _SIGNATURE_DELIMITER.search(text)
    if delimiter and text[: delimiter.start()].strip():
        text = text[: delimiter.start()]
    text = _MOBILE_FOOTER.sub("", text)
    return _cut_sign_off(text)


def _cut_sign_off(text: str) -> str:
    lines = text.rstrip().split("\n")
    start = max(0, len(lines) - _SIGN_OFF_TAIL_LINES)
    for index in range(start, len(lines)):
        if index > 0 and _SIGN_OFF.match(lines[index]):
            # Only a sign-off followed by a few short lines (a name, a title) is a signature.
            tail = lines[index + 1 :]
            if all(len(line) <= 60 for line in tail):
                return "\n".join(lines[:index])
    return text


# --- whitespace, budget, identity --------------------------------------------------------

_SPACES = LazyPattern(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = LazyPattern(r"\n[ \t]*(?:\n[ \t]*){2,}")
_WHITESPACE_RUN = LazyPattern(r"\s+")


def clean(text: str) -> str:
    """Escape sequences (whole), controls and zero-width characters out, compatibility forms
    folded, line ends unified."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", strip_escapes(text))
    return unicodedata.normalize("NFKC", text)


def fold_whitespace(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def normalise_for_hash(text: str) -> str:
    """Case- and whitespace-folded text: two tickets equal under this are the same ticket."""
    return _WHITESPACE_RUN.sub(" ", text.casefold()).strip()


def cut(text: str, limit: int) -> str:
    """The first ``limit`` characters, ending at a whitespace when one is near."""
    if len(text) <= limit:
        return text
    window_start = max(0, limit - 200)
    space = max(text.rfind(" ", window_start, limit), text.rfind("\n", window_start, limit))
    return text[: space if space > 0 else limit].rstrip()


@dataclass(frozen=True)
class ArticleExcerpt:
    """A help-centre article a customer may see, given to the LLM to ground a reply draft
    (``kb.retrieve``); ``number`` is its place in the note's list, what the draft cites."""

    number: int
    title: str
    url: str
    text: str


@dataclass(frozen=True)
class PreparedTicket:
    """Ticket text that may leave the machine: trimmed, redacted, length-capped."""

    subject: str
    body: str
    redactions: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    # Retrieved articles for a grounded draft (kb): None when retrieval did not run (drafts or
    # suggestions off), () when it found nothing a customer may be quoted.
    articles: tuple[ArticleExcerpt, ...] | None = None
    # The description forwards or quotes a mail below its sender's words (cut from ``body``
    # unless there were no words of their own): a forward's subject is then the mail's.
    forwards: bool = False

    @property
    def content_hash(self) -> str:
        """sha256 over the case/whitespace-folded subject and body: identical tickets share it
        (and the articles a draft is grounded on, when there are any)."""
        folded = normalise_for_hash(self.subject) + "\n\x1f\n" + normalise_for_hash(self.body)
        for article in self.articles or ():
            folded += f"\x1e{article.number}\x1f{article.url}\x1f{article.title}\x1f{article.text}"
        return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def budget_chars(max_tokens: int) -> int:
    """The characters of text the engines read, for an input budget of ``max_tokens``."""
    return max(max_tokens, 1) * CHARS_PER_TOKEN


def raw_cap(max_tokens: int) -> int:
    """The raw characters ever looked at (before HTML, quotes and signatures are cut)."""
    return max(RAW_FLOOR_CHARS, budget_chars(max_tokens) * RAW_BUDGET_FACTOR)


class _RecentRedactions:
    """What redaction made of the texts prepared lately, each given back once: a run prepares a
    new ticket's text for the LLM and then, the same words when it neither forwards a mail
    nor names someone the helpdesk knows, for the spam gate's reading (``spam.reading``), a
    few hundred tickets later at most (the tickets in flight). Redaction is a pure function of
    its text, so a text found here is redacted as it would be again. Bounded by the
    characters held: the oldest go first."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._held: OrderedDict[str, tuple[str, dict[str, int]]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        with self._lock:
            found = self._held.pop(text, None)
            if found is not None:
                self._chars -= len(text) + len(found[0])
                return found[0], dict(found[1])
        # Redaction's patterns (tens of ms of CPU to compile) load with the first ticket
        # prepared: a run that finds none never pays for them.
        from .redact import redact

        redacted, counts = redact(text)
        size = len(text) + len(redacted)
        if size <= self.max_chars // 8:
            with self._lock:
                if text not in self._held:
                    self._held[text] = (redacted, dict(counts))
                    self._chars += size
                while self._chars > self.max_chars:
                    old, (old_redacted, _) = self._held.popitem(last=False)
                    self._chars -= len(old) + len(old_redacted)
        return redacted, counts


# A million characters: the tickets a 64-worker run holds in flight (364, their subject and
# body about 600 characters in ``scripts/bench.py``'s samples, held with their redaction) fit
# with room to spare, and a run's peak memory grows by about 1 MB at most.
_RECENT = _RecentRedactions(1_000_000)


def prepare_ticket(
    subject: str, description: str, *, max_tokens: int = 2000, people: Sequence[Person] = ()
) -> PreparedTicket:
    """Trim, redact and cap a ticket for the LLM; ``max_tokens`` is the rough input budget.
    ``people``: whom the helpdesk names on the ticket, whose names and e-mails go too."""
    budget = budget_chars(max_tokens)
    raw_limit = raw_cap(max_tokens)
    truncated = len(subject or "") > raw_limit

    clean_subject = fold_whitespace(clean((subject or "")[:raw_limit]).replace("\n", " "))
    if _LOOKS_HTML.search(clean_subject):
        clean_subject = fold_whitespace(html_to_text(clean_subject).replace("\n", " "))
    if len(clean_subject) > SUBJECT_MAX_CHARS:
        clean_subject = cut(clean_subject, SUBJECT_MAX_CHARS)
        truncated = True

    body = plain_body(description or "", raw_limit)
    forwards = forwards_mail(body)
    body = fold_whitespace(trim_history(body))

    body_limit = max(budget - len(clean_subject), 200)
    body_truncated = len(description or "") > raw_limit
    if len(body) > body_limit:
        body = body[: body_limit + REDACTION_MARGIN]
        body_truncated = True

    clean_subject, subject_names = redact_names(clean_subject, people)
    body, body_names = redact_names(body, people)
    redacted_subject, subject_counts = _RECENT.redact(clean_subject)
    redacted_body, body_counts = _RECENT.redact(body)
    if len(redacted_body) > body_limit:
        redacted_body = cut(redacted_body, body_limit)
    if body_truncated:
        redacted_body += TRUNCATION_MARK

    counts: dict[str, int] = {}
    for found in (subject_names, body_names, subject_counts, body_counts):
        for kind, count in found.items():
            counts[kind] = counts.get(kind, 0) + count
    return PreparedTicket(
        subject=redacted_subject,
        body=redacted_body,
        redactions=counts,
        truncated=truncated or body_truncated,
        forwards=forwards,
    )


def plain_body(description: str, raw_limit: int) -> str:
    """The description's first ``raw_limit`` characters, cleaned and as plain text."""
    body = clean(description[:raw_limit])
    return html_to_text(body) if _BODY_LOOKS_HTML.search(body) else body


def forwards_mail(body: str) -> bool:
    """Whether a plain-text body forwards or quotes a mail (a forward or reply header, or
    ``>`` lines): what stands there is the mail passed on, not its sender's words."""
    return bool(split_history(body)[1].strip())


def stored_subject(
    subject: str, people: Sequence[Person] = (), prepared: PreparedTicket | None = None
) -> str:
    """A subject as it may be kept where people search and read it (the audit store and its
    search index): redacted as the LLM gets it, names the helpdesk knows included.
    ``prepared``: this ticket (this subject, these people) as ``prepare_ticket`` made it for
    the LLM, whatever its budget: a subject within every budget's raw cap is prepared the same
    without the body, so its subject is this one, not redacted a second time."""
    if prepared is not None and len(subject) <= RAW_FLOOR_CHARS:
        return prepared.subject
    return prepare_ticket(subject, "", people=people).subject
