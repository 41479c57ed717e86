"""What the spam head reads of a new ticket, and what the ticket's shape says. Pure.

A customer who forwards a phishing mail, or pastes one under "is this from you?", sent us a
report: their own words are judged, and the mail they quote is evidence, not their words. So:

- the sender's own words are the text before the first reply or forward header (in the
  note's languages: ``triage.prepare.split_history``) without its ``>`` lines;
- a web form's mail (``Name:``, ``Company:``, ``Message:``) is its message field's words, up
  to the form's own footer ("This is an automated message, do not reply", after a ``--``): the
  footer is the form's, and its automatic words say nothing of the person who wrote;
- when they have something to say (a few words), the head reads them alone, and the subject
  only when it is not the forwarded mail's ("Fwd: …");
- when they have nothing to say ("FYI", nothing at all), the head reads what they forward:
  spam dressed as a forward or a reply is judged on the mail it carries;
- words that report or ask about a mail ("is this from you?", "ist das von Ihnen?", "I got
  this phishing e-mail") make the ticket a customer's report, whatever the head says of the
  mail it carries.

The text is then undisguised (``normalise``) for the head. One text a ticket: the encoder reads
each ticket once.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ..triage.prepare import clean, html_to_text, prepare_ticket, raw_cap, split_history
from ..triage.reply_cues import automatic_certainty, fold
from .lures import lure_families
from .normalise import normalise

# Fewer words than this of their own and a sender forwards without saying anything.
_OWN_WORDS = 3
# Up to this many words of their own above a quoted mail, a sender says only "see below".
_A_FEW_WORDS = 12
_HTML = re.compile(r"(?i)<(?:html|body|div|p|br|span|table|blockquote)\b")
_FORWARD_SUBJECT = re.compile(r"(?i)^\s*(?:(?:fwd?|wg|tr|rv|enc|doorst|re|aw|sv)\s*:\s*)+")
# Above a forwarded mail, one word says what the sender thinks of it ("Phishing?").
_NAMES_IT = re.compile(
    r"(?i)\b(?:phishing|scam|spam|fraud|fake|suspicious|betrug|verdächtig|arnaque|suspect"
    r"|estafa|fraude|sospechoso|oplichting|verdacht|golpe|suspeito)\b"
)
# Words of a person who reports or asks about a mail they received, in the note's languages.
_REPORT = re.compile(
    r"""(?ix)
    \b(?:
      is\ (?:this|that|it)\ (?:e-?mail\ |mail\ |message\ |text\ )?(?:really\ )?
        (?:from|sent\ by)\ (?:you|your)
    | is\ (?:this|that)\ (?:e-?mail|mail|message|text|link)
        \ (?:legit|legitimate|genuine|real|safe|yours)
    | did\ you\ (?:really\ )?send\ (?:me\ )?(?:this|that|an?\ |the\ )
    | (?:i|we)\ (?:just\ )?(?:received|got)\ (?:this|the\ following|an?|a\ strange|a\ weird
        |a\ suspicious|a\ fake|some)\ [^.?!\n]{0,40}?(?:e-?mail|mail|message|text|sms|letter)
    | report(?:ing)?\ (?:a\ |this\ |the\ )?(?:phishing|scam|spam|fraud)
    | (?:looks|seems)\ like\ (?:a\ )?(?:phishing|scam|fake)
    | (?:pretend(?:s|ing)?\ to\ be|impersonat\w*|spoof\w*)\ (?:you|your)
    | (?:in|using)\ your\ (?:company'?s?\ |brand'?s?\ )?name
    | phishing\ (?:e-?mail|mail|attempt|message|campaign)s?\ (?:sent|that|we|i)
    | ist\ (?:das|diese\ (?:e-?mail|mail|nachricht))\ (?:wirklich\ )?von\ (?:ihnen|euch|dir)
    | (?:kommt|stammt)\ (?:das|die|diese)\ [^.?!\n]{0,30}?von\ (?:ihnen|euch)
    | (?:ich|wir)\ (?:habe|haben)\ (?:diese|eine|folgende)\ [^.?!\n]{0,40}?
        (?:e-?mail|mail|nachricht)
    | in\ ihrem\ namen | phishing-?(?:mail|e-mail|versuch)
    | est-ce\ (?:bien\ )?(?:de\ vous|vous\ qui)
    | (?:j'ai|nous\ avons)\ re[çc]u\ (?:ce|cet|cette|un|une)
    | en\ votre\ nom | hame[çc]onnage | tentative\ d'arnaque
    | (?:es|viene)\ (?:de\ ustedes|suyo|de\ vosotros)
    | (?:recib[íi]|hemos\ recibido)\ (?:este|esta|un|una)
    | en\ su\ nombre | suplantaci[óo]n | intento\ de\ (?:estafa|phishing)
    | is\ dit\ (?:echt\ )?van\ (?:jullie|u)
    | (?:ik|we)\ (?:heb|hebben)\ (?:deze|een)\ [^.?!\n]{0,40}?(?:e-?mail|mail|bericht)
    | (?:uit|in)\ (?:jullie|uw)\ naam | phishingmail
    | [ée]\ de\ voc[êe]s | (?:recebi|recebemos)\ (?:este|esta|um|uma)
    | em\ nome\ de\ voc[êe]s | golpe
    )""",
)
# A customer saying they got what they paste ("I got this today", "j'ai reçu ça").
_GOT_IT = re.compile(
    r"(?i)\b(?:(?:i|we)\s+(?:just\s+|also\s+)?(?:got|received|get|receive)\s+(?:this|these|that|it)"
    r"|is\s+(?:this|that|it)\s+(?:legit|legitimate|genuine|real|safe)"
    r"|(?:ich|wir)\s+(?:habe|haben)\s+(?:das|dies|diese)\w*\s+(?:bekommen|erhalten)"
    r"|(?:j'ai|nous\s+avons)\s+re[çc]u|recib[íi]|hemos\s+recibido|(?:ik|we)\s+(?:heb|hebben)"
    r"\s+(?:dit|deze)\s+(?:gekregen|ontvangen)|recebi|recebemos)\b"
)
# A web form's mail (``Name: …``, ``Company: …``, ``Message: …``, often from a no-reply
# address): the customer's words are the message field's.
_FORM_FIELD = re.compile(r"(?m)^[ \t]*[^\W\d_][\w .'-]{0,30}:[ \t]*\S")
_FORM_MESSAGE = re.compile(
    r"(?im)^[ \t]*(?:message|your message|comments?|question|description|details|nachricht"
    r"|ihre nachricht|anliegen|mensaje|comentarios?|commentaire|votre message|bericht"
    r"|opmerking|mensagem|messaggio)[ \t]*:[ \t]*"
)
# Where a form's message field ends: a line that only draws a rule (``--``, ``___``), or one of
# its last lines in an automatic message's words (``triage.reply_cues``' strong cues: the form's
# footer).
_FORM_RULE = re.compile(r"^[ \t]*(?:-{2,}|_{3,}|={3,}|\*{3,}|—)[ \t]*$")
_FOOTER_LINES = 3
_SAYS_AUTOMATIC = 0.95
_EDGE = 300  # characters at either end of a pasted mail where a report's words stand
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class SpamReading:
    """``text``: what the head reads; ``forwarded``: the ticket forwards or quotes a mail;
    ``report``: its sender's words report or ask about a mail they received; ``form``: it is a
    web form's mail (its address is the form's, not the person's); ``lures``: what the text
    asks of its reader as bulk mail and phishing ask it (``lures``)."""

    text: str
    forwarded: bool = False
    report: bool = False
    form: bool = False
    lures: frozenset[str] = frozenset()
    # It forwards or quotes a mail beneath words of its sender's own: a report of that mail,
    # whoever sends it (a customer's security team passing on phishing sent in our name).
    quoting: bool = False


@dataclass(frozen=True)
class SpamText:
    """What ``read_ticket`` takes of a ticket before the text is undisguised and its lures
    read: the sender's own words prepared as the LLM's are (cut to its budget), and the
    ticket's shape. A run can hold it while the ticket waits on its triage, and read it only
    when the gate needs it, though the ticket's own body is too long to hold."""

    text: str
    forwarded: bool
    report: bool
    form: bool
    quoting: bool = False

    def reading(self) -> SpamReading:
        text = normalise(self.text)
        lures = lure_families(text)
        return SpamReading(text, self.forwarded, self.report, self.form, lures, self.quoting)


def read_ticket(subject: str, description: str, *, max_tokens: int = 2000) -> SpamReading:
    return take_text(subject, description, max_tokens=max_tokens).reading()


def take_text(subject: str, description: str, *, max_tokens: int = 2000) -> SpamText:
    # No more of a hostile megabyte than the LLM's preparation ever looks at.
    body = clean((description or "")[: raw_cap(max_tokens)])
    if _HTML.search(body):
        body = html_to_text(body)
    message = form_message(body)
    form, body = message != body, message
    own, quoted = split_history(body)
    forwarded = bool(quoted.strip())
    quoting = False
    if forwarded:
        report = bool(_REPORT.search(own) or _NAMES_IT.search(own))
        few = _has_words(own, _OWN_WORDS) and not _has_words(own, _A_FEW_WORDS)
        if not report and few and _asks_much(quoted):
            # A line above a quoted mail that asks what phishing asks ("can you check this?"
            # above ``>``-quoted "verify your password ... http://"): phishing hid under the
            # quotes, the head reading only the line. The mail is judged with the line.
            read, read_subject = f"{own}\n{quoted}", subject or ""
        elif quoting := _has_words(own, _OWN_WORDS):
            forward_subject = bool(_FORWARD_SUBJECT.match(subject or ""))
            read, read_subject = own, ("" if forward_subject else subject)
        else:  # nothing of their own: the mail they pass on is what they sent
            read, read_subject = quoted, _FORWARD_SUBJECT.sub("", subject or "")
    else:
        # A mail pasted under (or above) a question keeps the question at one end; a bare
        # "Is this from you?" heading the text is no report alone (phishing opened with it
        # and got no verdict): the customer also says they got it, or names it a scam.
        ends = (own[:_EDGE], own[-_EDGE:], subject or "")
        said = {m.group(0).lower() for end in ends for m in _REPORT.finditer(end)}
        also = any(_NAMES_IT.search(end) or _GOT_IT.search(end) for end in ends)
        report = len(said) >= 2 or (bool(said) and also)
        read, read_subject = own, subject or ""
    prepared = prepare_ticket(read_subject, read, max_tokens=max_tokens)
    return SpamText(f"{prepared.subject}\n{prepared.body}", forwarded, report, form, quoting)


def _asks_much(quoted: str) -> bool:
    """Whether a quoted mail asks two things phishing asks, a credential among them."""
    found = lure_families(normalise(quoted[: raw_cap(2000)]))
    return "credential" in found and len(found) >= 2


def _has_words(text: str, count: int) -> bool:
    """Whether ``text`` holds ``count`` words of two letters or more (a long body is not
    counted to its end for it)."""
    return len(list(itertools.islice(_WORD.finditer(text), count))) >= count


def form_message(body: str) -> str:
    """A web form's mail as its message field (the customer's words, without the form's
    ``Name:``/``Company:`` lines); any other body as it is."""
    found = _FORM_MESSAGE.search(body)
    if found is None or len(_FORM_FIELD.findall(body[: found.start()])) < 2:
        return body
    return _without_footer(body[found.end() :])


def _without_footer(message: str) -> str:
    """A form's message field without the form's footer: what follows a rule line, or one of
    the last lines in an automatic message's words ("This is an automated message, do not
    reply") and what follows it. A customer does not write that into a form; the form's mail
    says it of itself. The field's first line is always the customer's."""
    lines = message.split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) < 2:
        return message
    for i in filled[1:]:
        if _FORM_RULE.match(lines[i]):
            return "\n".join(lines[:i])
    for i in filled[max(1, len(filled) - _FOOTER_LINES) :]:
        folded = fold(lines[i])
        if automatic_certainty(folded, len(folded.split())) >= _SAYS_AUTOMATIC:
            return "\n".join(lines[:i])
    return message
