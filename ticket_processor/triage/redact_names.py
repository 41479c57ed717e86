"""The names the helpdesk knows, out of what the LLM reads: the requester's, the CCs' and the
agents' names and e-mails (``Ticket.people``), replaced with ``[NAME]`` and ``[EMAIL]``.

A name is often also a word: a customer called "Will", "May" or "Hope", an agent called "Grace"
or "Bill". So the rules are narrow on purpose:

- a full name ("Will Smith") and each later part of it, the surname ("Smith"), are matched whole
  and case-sensitively, capitalised as names are written (and as the helpdesk spells them);
- a first name alone only when capitalised and beside a greeting or a sign-off ("Hi Will,",
  "Dear Will", "Thanks, Will", "Cheers Will"), or alone on its line (a signature "— Will");
- a one-word name is a first name; a part of one letter (an initial) or with a digit or an
  ``@`` in it is never matched alone; particles written in lower case ("van", "de") neither;
- e-mails the helpdesk knows are matched whole, in any case.

So "I will call you", "Will it ship?" and "the bill" stay when the customer is Will or Bill; a
surname that is also a capitalised word at a sentence's start ("Young people…" for a Ms Young)
is the price of matching surnames at all. Nicknames and misspellings the helpdesk does not hold
are not found here (docs/how-to/personal-data.md says what is covered).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ..models import Person

NAME = "[NAME]"
EMAIL = "[EMAIL]"

# Words that open a letter or close one, in the languages the taxonomy's examples are in.
_GREETINGS = (
    "Hi", "Hello", "Hey", "Dear", "Morning", "Good morning", "Good afternoon", "Good evening",
    "Thanks", "Thank you", "Many thanks", "Cheers", "Regards", "Best", "Best regards",
    "Kind regards", "Warm regards", "Sincerely", "Love", "Yours",
    "Hallo", "Liebe", "Lieber", "Danke", "Grüße", "Gruß", "Viele Grüße",
    "Bonjour", "Salut", "Merci", "Cordialement", "Hola", "Estimado", "Estimada", "Gracias",
    "Saludos", "Ciao", "Grazie", "Olá", "Obrigado", "Obrigada",
)  # fmt: skip
_GREETING = "|".join(re.escape(g) for g in sorted(_GREETINGS, key=len, reverse=True))
_BOUND_BEFORE = r"(?<![\w@.+-])"
_BOUND_AFTER = r"(?![\w@-])"


def _usable(part: str) -> bool:
    return len(part) >= 2 and part[0].isupper() and not any(c.isdigit() or c == "@" for c in part)


def _capitalised(part: str) -> str:
    return part[:1].upper() + part[1:]


def _parts(name: str) -> list[str]:
    """A name's words as names are written: "will smith" is written "Will Smith"."""
    words = [w.strip(".,;:\"'()") for w in name.split()]
    return [_capitalised(w) if w.islower() and len(w) > 3 else w for w in words if w]


@lru_cache(maxsize=512)
def _patterns(people: tuple[Person, ...]) -> tuple[re.Pattern[str] | None, ...]:
    """E-mails; full names and surnames; first names after a greeting; first names alone on a
    line. None where the people give nothing to match."""
    whole: set[str] = set()
    firsts: set[str] = set()
    emails: set[str] = set()
    for person in people:
        if "@" in person.email:
            emails.add(person.email.strip())
        parts = _parts(person.name) if "@" not in person.name else []
        if not parts:
            continue
        if _usable(parts[0]):
            firsts.add(parts[0])
        later = [p for p in parts[1:] if _usable(p)]
        if later:
            whole.add(r"\s{1,3}".join(re.escape(p) for p in parts))
            whole.update(re.escape(p) for p in later)
    mails = full = greeted = alone = None
    if emails:
        found = "|".join(re.escape(e) for e in sorted(emails, key=len, reverse=True))
        mails = re.compile(rf"(?i){_BOUND_BEFORE}(?:{found}){_BOUND_AFTER}")
    if whole:
        found = "|".join(sorted(whole, key=len, reverse=True))
        full = re.compile(rf"{_BOUND_BEFORE}(?:{found}){_BOUND_AFTER}")
    if firsts:
        found = "|".join(re.escape(f) for f in sorted(firsts, key=len, reverse=True))
        greeted = re.compile(
            rf"(?<![\w])((?i:{_GREETING})(?:,[ \t]{{0,3}}|[ \t]{{1,3}},?[ \t]{{0,3}}))"
            rf"({found}){_BOUND_AFTER}"
        )
        alone = re.compile(rf"(?m)^([ \t]*(?:[-–—~][ \t]{{0,2}})?)({found})(?=[ \t]*[.!,]?[ \t]*$)")
    return mails, full, greeted, alone


def redact_names(text: str, people: Sequence[Person]) -> tuple[str, dict[str, int]]:
    """``text`` with the known people's e-mails and names replaced; counts per kind."""
    counts: dict[str, int] = {}
    if not text or not people:
        return text, counts
    mails, full, greeted, alone = _patterns(tuple(people))

    def count(kind: str) -> None:
        counts[kind] = counts.get(kind, 0) + 1

    def mail(_: re.Match[str]) -> str:
        count("email")
        return EMAIL

    def name(_: re.Match[str]) -> str:
        count("name")
        return NAME

    def first_name(match: re.Match[str]) -> str:
        count("name")
        return match.group(1) + NAME

    for pattern, replace in (
        (mails, mail),
        (full, name),
        (greeted, first_name),
        (alone, first_name),
    ):
        if pattern is not None:
            text = pattern.sub(replace, text)
    return text, counts
