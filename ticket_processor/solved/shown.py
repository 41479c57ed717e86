"""What a similar solved ticket may show of another customer in this customer's note.

A solved ticket's subject and its agent's last reply are stored redacted as a message for the
LLM is: the names the helpdesk knows and every kind of personal data ``triage.redact`` finds.
That redaction reads a message in its own ticket; shown in an unrelated customer's note, what
it lets through is another customer's: a name the helpdesk never held ("booked for Maria
Gonzalez"), a licence plate ("plate AB-123-CD"), the password an agent set ("I have set your
password to Summer2024!") and the two-factor backup codes an agent gave ("backup codes:
48219920 11223344"). ``from_another_customer`` replaces those too, before the line is shown:

- a secret an agent gave: whatever follows "password is / set to / :" (and the languages'
  words for a password), and each token holding a digit within a few words after a code's
  name (a backup, recovery, 2FA, one-time or verification code, a PIN, a key);
- a licence plate: after its word (plate, registration, Kennzeichen, kenteken,
  immatriculation, matrícula, targa), or in the common shapes ``AB-123-CD`` and ``AB12 CDE``;
- a person's name: capitalised words after a title (Mr, Ms, Frau, Mme...) or a word that
  names someone (for, of, customer, colleague, named), and a capitalised word alone after the
  last comma of a sentence ("so you can sign in, Maria.").

An internal note loses a few words it could have kept ("booked for [NAME]"); it never shows
one customer's secrets to the agent of another's ticket, or to a customer if the note is ever
made public. Pure.
"""

from __future__ import annotations

import re

NAME = "[NAME]"
SECRET = "[SECRET]"  # noqa: S105 - a placeholder, not a secret
PLATE = "[PLATE]"

# The words for a password, not one.
_PASSWORD_WORDS = (
    r"(?:pass(?:word|phrase|code)|passwort|kennwort|mot de passe|contraseña|wachtwoord|senha)"  # noqa: S105
)
# A password an agent gave: what follows its "is", "to" or colon, whatever it looks like.
_GIVEN_PASSWORD = re.compile(
    rf"(?i:\b{_PASSWORD_WORDS}\b(?:\s+(?:is|was|to|now|ist|est|es|is nu|é))*\s*(?:[:=]\s*|\s+))"
    r"(?!(?:link|reset|page|field|manager|again|yourself|from|in|on|and|or|the|a|your)\b)"
    r"(\S+?)(?=[.,;)]?(?:\s|$))"
)
# A code's name: qualified ("backup codes"), or bare and then given ("code: 4821", "PIN is");
# a bare "error code 500" is no secret.
_CODE_WORD = re.compile(
    r"\b(?:(?:backup|recovery|2fa|two[- ]factor|one[- ]time|verification|security|sign[- ]in"
    r"|login|access|reset|unlock) (?:codes?|keys?|pins?)\b(?:\s*(?:is|are|:|=))?"
    r"|(?:codes?|pins?|otp|tan)\s*(?:is|are|:|=))",
    re.IGNORECASE,
)
_DIGIT_TOKEN = re.compile(r"(?<![\w\[])[A-Za-z0-9#!$%&*+=-]*\d[A-Za-z0-9#!$%&*+=-]*(?![\w\]])")
_CODE_REACH = 40

_PLATE_WORD = re.compile(
    r"(?i:\b(?:licen[cs]e plate|number plate|plate|registration(?: number)?|kennzeichen"
    r"|nummernschild|kenteken|immatriculation|plaque|matr[ií]cula|targa))"
    r"(?i:\s*(?:number|no\.?|nr\.?))?\s*[:#]?\s*"
    r"([A-Z0-9]{1,4}(?:[ -]?[A-Z0-9]{1,4}){1,3})\b"
)
_PLATE_SHAPE = re.compile(r"\b[A-Z]{1,3}-\d{1,4}-[A-Z]{1,3}\b|\b[A-Z]{2}\d{2} ?[A-Z]{3}\b")

# Capitalised words that are not names, though they follow "for" or end a sentence.
_NOT_NAMES = frozenset(
    (
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December", "Settings", "Billing", "Account", "Reports",
        "Security", "Support", "Help", "Team", "Admin", "Premium", "Business", "Starter", "Pro",
        "Enterprise", "Thanks", "Cheers", "Regards", "Best",
    )
)  # fmt: skip
_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+"
_NAMED = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Miss|Dr|Herr|Frau|Mme|Mlle|Sr|Sra|Dhr|Mevr)\.?\s+"
    r"|(?i:\b(?:for|of|customer|client|colleague|named|called|name is|behalf of|from)\s+))"
    rf"({_WORD}(?:\s+(?:(?:van|de|der|den|von|da|di|le|la|del|dos)\s+)?{_WORD}){{0,2}})"
)
_VOCATIVE = re.compile(rf",\s+({_WORD})(?=[.!?](?:\s|$))")


def _names(match: re.Match[str]) -> str:
    parts = match.group(1).split()
    if parts[0] in _NOT_NAMES:
        return match.group(0)
    start = match.start(1) - match.start(0)
    return match.group(0)[:start] + NAME


def _codes(text: str) -> str:
    out: list[str] = []
    last = 0
    for word in _CODE_WORD.finditer(text):
        if word.end() < last:
            continue
        reach = text[word.end() : word.end() + _CODE_REACH]
        out.append(text[last : word.end()])
        out.append(_DIGIT_TOKEN.sub(SECRET, reach))
        last = word.end() + len(reach)
    out.append(text[last:])
    return "".join(out)


def from_another_customer(text: str) -> str:
    """``text`` (a solved ticket's subject or resolution) as another customer's note may show
    it: an agent-given secret, a licence plate and a person's name replaced."""
    text = _GIVEN_PASSWORD.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + SECRET, text)
    text = _codes(text)
    text = _PLATE_WORD.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + PLATE, text)
    text = _PLATE_SHAPE.sub(PLATE, text)
    text = _NAMED.sub(_names, text)
    return _VOCATIVE.sub(lambda m: m.group(0) if m.group(1) in _NOT_NAMES else f", {NAME}", text)
