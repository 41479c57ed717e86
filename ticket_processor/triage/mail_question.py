"""A customer asking whether a mail they received is ours, and a forward's subject. Pure.

"Is this from you?" above a forwarded "verify your password" mail asks what a help centre's
phishing article answers, not what the forwarded mail's words are about ("your account will
be suspended" would find the article on locked accounts). ``kb.retrieve`` searches such a
ticket on its sender's own words (``PreparedTicket.forwards``: the forward is cut, and its
"Fwd: …" subject is the forwarded mail's, so it is left out too) and on ``MAIL_QUESTION_TERMS``.

The questions are the common ones in the note's six languages. The spam gate recognises a
wider set of reports for its own verdict (``spam.reading``), which stands above this layer.
"""

from __future__ import annotations

import re

# A forward's subject: "Fwd:", "Fw:", "WG:", "TR:", "RV:", "ENC:", "Doorst:", repeated or not.
FORWARD_SUBJECT = re.compile(r"(?i)^\s*(?:(?:fwd?|wg|tr|rv|enc|doorst)\s*:\s*)+")
# What help centres call a mail that pretends to come from the company, searched beside the
# customer's words when they ask about one.
MAIL_QUESTION_TERMS = "phishing email emails mail mails"
_ASKS = re.compile(
    r"""(?ix)
    \b(?:
      is\ (?:this|that|it)\ (?:e-?mail\ |mail\ |message\ |link\ )?(?:really\ )?
        (?:from|sent\ by)\ (?:you|your)
    | is\ (?:this|that)\ (?:e-?mail|mail|message|link)\ (?:legit|legitimate|genuine|real|safe)
    | did\ you\ (?:really\ )?send\ (?:me\ )?(?:this|that|an?\ |the\ )
    | phishing | scam\ (?:e-?mail|mail)
    | ist\ (?:das|diese\ (?:e-?mail|mail|nachricht))\ (?:wirklich\ )?von\ (?:ihnen|euch|dir)
    | est-ce\ (?:bien\ )?(?:de\ vous|vous\ qui) | hame[çc]onnage
    | (?:es|viene)\ (?:de\ ustedes|de\ vosotros)
    | is\ dit\ (?:echt\ )?van\ (?:jullie|u)
    | [ée]\ de\ voc[êe]s
    )""",
)


def asks_about_mail(text: str) -> bool:
    """Whether ``text`` (the sender's own words) asks whether a mail is ours or names it
    phishing."""
    return _ASKS.search(text) is not None


def search_text(subject: str, body: str, *, forwards: bool) -> str:
    """What the help centre is searched on for a prepared ticket: its subject and body, but
    not a forward's subject above words of the sender's own, and with ``MAIL_QUESTION_TERMS``
    when those words ask about a mail."""
    if forwards and body.strip() and FORWARD_SUBJECT.match(subject):
        subject = ""
    text = f"{subject}\n{body}"
    return f"{text}\n{MAIL_QUESTION_TERMS}" if asks_about_mail(body) else text
