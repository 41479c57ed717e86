"""What the gate reads of a ticket beside the lure families: a sum of money, and whether the
text is a person's short chat-like message. Pure.

The head was fitted on bulk mail, and it is sure of a tenth of the short messages people text
each other ("Hi its Kate, txt me when u finish xxx"). A customer who writes to a company as
they would text a friend must not be gated, nor suggested, on the head's word alone. Bulk mail
that is as short shows what such messages do not: a link, a phone number to text or call, a
sum of money or a prize, a mail's greeting and sign-off, or a lure beyond the ones people's own
messages show as often (a deadline, a kiss). So a text is *chat-like* when it has none of
those and few words; the gate then decides on what is not the head (``gate.verdict``).

A sum of money ("$29") is a customer's word as often as bulk mail's: it is its own family,
``price``, and counts as an offer only beside an offer's words ("Viagra from $1.20"). A sum
the writer says they paid or were charged ("I was charged twice, two payments of 49 EUR") is
their own money, not a price: a customer's billing complaint names it, an offer does not say
"I paid" (phishing says "*your* account was charged", and keeps its ``price``).
"""

from __future__ import annotations

import re

from ..triage.reply_cues import automatic_certainty, fold
from .lures import lure_families

# Above this many words a message is not a text message's length. Chosen on the dev sets (SMS
# chat and spam of the SMS Spam Collection, the customers' and the outage hours' tickets, the GP
# spam of Enron-Spam): 40 kept SMS chat suggested under 3 % and cost little GP spam.
CHAT_WORDS = 40
# The lure families people's own short messages show as often as bulk mail does: "urgent",
# "call me now", and "xxx" (kisses) or a crude word between friends.
CHAT_LURES = frozenset({"deadline", "click", "adult"})

_WORD = re.compile(r"\w+")
_SUM = re.compile(
    r"""(?ix)
    [$£€¥]\s?\d[\d,.]*(?:\s?(?:usd|dollars|million))?
    | \b\d[\d,.]*\s?(?:[$£€]|usd|eur|gbp|dollars?|pounds?|euros?)(?!\w)
    | \b\d+p\s?(?:/|per\ )\s?(?:min|minute|msg|txt|text|week|wk)\b | \b\d+ppm\b
    """
)
# The writer's own payment, in the first person: "I was charged", "we paid", "charged me",
# "my card was debited", "please refund".
_OWN_PAYMENT = re.compile(
    r"""(?ix)
    \b(?:i|we)\ (?:was|were|have\ been|had\ been|got|am|are\ being)
      \ (?:double[\s-])?(?:charged|billed|debited|overcharged)
    | \b(?:i|we)\ (?:have\ |had\ |already\ )?(?:paid|payed)\b
    | \b(?:charged|billed|debited|overcharged)\ (?:me|us)\b
    | \b(?:my|our)\ (?:card|credit\ card|account|bank\ account)\ (?:was|has\ been|got)
      \ (?:charged|debited|billed)
    | \b(?:please\ refund|refund\ (?:me|us)|(?:want|need|like)\ (?:a|my|our)\ refund)
    """
)
_PRIZE = re.compile(
    r"(?i)\b(?:prizes?|won(?!['’])|winners?|winning|cash|awarded|award|reward|jackpot|bonus"
    r"|vouchers?|claim(?:ed)?)\b"
)
# A phone number to call or text: seven digits or more (spaced or not), or a short code after
# "txt", "text", "call" or "reply". Order numbers of five or six digits are a customer's.
_PHONE = re.compile(
    r"(?ix)\d(?:[\s().-]?\d){6,} | \[PHONE\]"
    r"| \b(?:txt|text|sms|send|reply|call|ring|dial)\b[^.!?\n]{0,30}?\b\d{4,6}\b"
)
# What a phishing text asks for when it is as short as a chat message: a password, a card, a
# fee, a click on a link it does not spell out.
_ASKS = re.compile(
    r"(?i)\b(?:password|passcode|(?:recovery|seed)\ phrase|card\ (?:details|number)"
    r"|sign\ in\ with|log\ ?in\ (?:to|with)|(?:this|the)\ link|fees?)\b"
)
_BARE_DOMAIN = re.compile(r"(?i)\b[a-z0-9-]+\s?\.\s?(?:com|net|org|biz|info|co\.uk|ru|io)\b")
# A mail's structure: a greeting or sign-off line, header lines, an unsubscribe line.
_MAIL_LINE = re.compile(
    r"(?im)^\s*(?:dear\b|(?:kind\ |best\ |warm\ )?regards\b|sincerely\b|yours\ (?:truly|faithfully)"
    r"|(?:from|to|sent|date|subject|cc)\s?:|.*\bunsubscribe\b)"
    r"|\b(?:send|txt|text|reply)\ stop\b|\bstop\ (?:texts|msgs|messages|this\ service)\b"
)
_BODY_LINES = 2
# An automatic message's own words (``triage.reply_cues``: its strong cues score 0.95; a
# customer's "two emails and no answer" scores 0.8).
_SAYS_AUTOMATIC = 0.95  # more lines of its own than this and a message is laid out as a mail


def with_price(text: str, lures: frozenset[str]) -> frozenset[str]:
    """``lures`` with a sum of money as ``price``, and ``offer`` kept only where the text shows
    an offer's words beside its sums (the lure families read a sum as an offer)."""
    if not _SUM.search(text) or _OWN_PAYMENT.search(text):
        return lures
    if "offer" in lures and "offer" not in lure_families(_SUM.sub(" ", text)):
        lures = lures - {"offer"}
    return lures | {"price"}


def chat_like(text: str, lures: frozenset[str]) -> bool:
    """Whether ``text`` (the subject's line, then the sender's words) is a short chat-like
    message: few words, no link, phone number, money, prize or password asked for, no mail's
    layout, and no lure
    beyond ``CHAT_LURES``. ``lures``: its families, ``price`` included (``with_price``)."""
    if lures - CHAT_LURES:
        return False
    if len(_WORD.findall(text)) > CHAT_WORDS:
        return False
    _, _, body = text.partition("\n")
    if sum(1 for line in body.splitlines() if line.strip()) > _BODY_LINES:
        return False
    if any(
        pattern.search(text) for pattern in (_SUM, _PRIZE, _PHONE, _ASKS, _BARE_DOMAIN, _MAIL_LINE)
    ):
        return False
    # An automatic reply that says so ("out of office", "automatic reply", "undeliverable") is
    # a machine's, however short: the head and those words judge it as any mail.
    folded = fold(text)
    return automatic_certainty(folded, len(folded.split())) < _SAYS_AUTOMATIC


def judged_lures(text: str, lures: frozenset[str]) -> tuple[frozenset[str], bool]:
    """The lure families the gate weighs (``with_price``) and whether the text is chat-like."""
    weighed = with_price(text, lures)
    return weighed, chat_like(text, weighed)
