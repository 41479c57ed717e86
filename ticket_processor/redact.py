"""Personal-data redaction: what must never leave the machine for the LLM.

``redact(text)`` replaces emails, phone numbers, payment-card numbers (Luhn-checked), IBANs
(mod-97-checked), US social security numbers and API keys/tokens with placeholders such as
``[EMAIL]`` and counts what it replaced.

Precision matters as much as recall: order numbers, dates, version strings and amounts are what
tickets are made of, and eating them makes the analysis worse. So every numeric pattern is
checked after matching (Luhn, mod 97, digit counts, card prefixes, the words just before it)
rather than trusting a broad regex. Every pattern uses bounded quantifiers without nested
ambiguity, so a 1 MB hostile body costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Replacer = Callable[[re.Match[str]], str]

# --- secrets ----------------------------------------------------------------------------

# Tokens whose shape alone says "credential": vendor prefixes with long random tails.
_VENDOR_SECRET = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,200}"  # OpenAI / Anthropic style
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,200}"  # Stripe
    r"|gh[pousr]_[A-Za-z0-9]{30,200}"  # GitHub
    r"|github_pat_[A-Za-z0-9_]{40,200}"
    r"|glpat-[A-Za-z0-9_-]{20,200}"  # GitLab
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|xox[abposr]-[A-Za-z0-9-]{10,200}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,2000}"  # JWT
    r")(?![\w-])"
)

# A value after a credential-ish key: ``api_key=...``, ``token: ...``, ``Bearer ...``.
_KEYED_SECRET = re.compile(
    r"(?i)(?<![\w-])("
    r"(?:api[_ -]?key|apikey|access[_ -]?key|secret(?:[_ -]?key)?|client[_ -]?secret"
    r"|(?:access|auth|api|refresh|bearer)?[_ -]?token|password|passwd|pwd)"
    r"[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
    r"|bearer\s{1,3}|basic\s{1,3}"
    r")([A-Za-z0-9+/=_.~-]{8,400})"
)


def _keyed_secret(match: re.Match[str]) -> str | None:
    key, value = match.group(1), match.group(2)
    mixed = any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    lowered = key.lower()
    if lowered.startswith(("bearer", "basic")):
        ok = len(value) >= 16 and mixed
    elif lowered.startswith(("password", "passwd", "pwd")):
        ok = any(c.isdigit() for c in value)
    else:
        # A plain word after "token:" is prose ("token: expired"); a key is long or mixed.
        ok = (len(value) >= 12 and mixed) or len(value) >= 24
    return key + "[SECRET]" if ok else None


# --- emails -----------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])"
)

# --- IBAN -------------------------------------------------------------------------------

_IBAN = re.compile(
    r"(?<![\w])([A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,4})?)(?![\w])"
)


def _iban_valid(compact: str) -> bool:
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def _iban(match: re.Match[str]) -> str | None:
    raw = match.group(1)
    parts = raw.split(" ")
    # The greedy match may have swallowed a following word; try shorter cuts at group edges.
    for end in range(len(parts), 0, -1):
        compact = "".join(parts[:end]).upper()
        if _iban_valid(compact):
            rest = " ".join(parts[end:])
            return "[IBAN]" + (" " + rest if rest else "")
    return None


# --- cards ------------------------------------------------------------------------------

# Not after "=" either: ``a=516770465071103`` in a stack trace is a value, not a card.
_CARD = re.compile(r"(?<![\w+.,/=-])(\d(?:[ -]?\d){12,22})(?![\w.,/-]?\d)")

# Words that, just before a number, say it is not a card even when Luhn happens to pass.
_NOT_CARD_CONTEXT = re.compile(
    r"(?i)(?:order|tracking|iban|invoice|shipment|parcel|ticket|case|ref(?:erence)?|sku|imei|serial"
    r"|account number|customer|transaction|confirmation|awb|booking)\b[^\n]{0,20}$"
)
_IBAN_HEAD = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2} ?$")
_CARD_CONTEXT = re.compile(r"(?i)(?:card|visa|mastercard|amex|credit|debit|cc)\b[^\n]{0,20}$")


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a digit string (payment cards end in a Luhn check digit)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_shape(digits: str) -> bool:
    """Issuer prefix and length agree (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay,
    Maestro) and the Luhn digit checks: a random reference number passes Luhn one time in ten,
    but rarely also looks like a card of the right length."""
    length = len(digits)
    if not 13 <= length <= 19:
        return False
    two, four = int(digits[:2]), int(digits[:4])
    if length == 13:
        fits = digits[0] == "4"
    elif length == 14:
        fits = two in (30, 36, 38, 39)
    elif length == 15:
        fits = two in (34, 37)
    else:
        fits = (
            digits[0] == "4"
            or (length == 16 and (51 <= two <= 55 or 2221 <= four <= 2720))
            or two in (35, 50, 56, 57, 58, 62, 65)
            or four == 6011
            or 644 <= int(digits[:3]) <= 649
            or digits[0] == "6"
        )
    return fits and luhn_valid(digits)


def _card(match: re.Match[str], text: str) -> str | None:
    raw = match.group(1)
    before = text[max(0, match.start() - 40) : match.start()]
    if _NOT_CARD_CONTEXT.search(before) and not _CARD_CONTEXT.search(before):
        return None
    if _IBAN_HEAD.search(before):
        return None  # the tail of an IBAN whose check failed: not a card either
    groups = re.split(r"[ -]", raw)
    # Whole match first, then prefixes at group edges (a card followed by another number).
    for end in range(len(groups), 0, -1):
        digits = "".join(groups[:end])
        if len(digits) < 13:
            break
        if _card_shape(digits):
            rest = raw[len(" ".join(groups[:end])) :]
            return "[CARD]" + rest
    return None


# --- SSN --------------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
# Nine digits without dashes only count when the text says it is an SSN.
_SSN_KEYED = re.compile(
    r"(?i)\b(ssn|social security (?:number|no\.?))(\s{0,3}[:#]?\s{0,3})"
    r"(?!000|666|9\d\d)(\d{9})(?!\d)"
)

# --- phones -----------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[ .-])(?:"
    # International: +CC or 00CC, optional (0), then groups.
    r"(?:\+|00)[1-9]\d{0,2}(?:[ .-]?\(0\))?"
    r"(?:[ .-]?\(\d{1,4}\)|[ .-]?\d{1,4})(?:[ .-]?\d{2,6}){1,4}"
    # North American: (415) 555-0132 / 415-555-0132 / 415.555.0132 / 415 555 0132.
    r"|\(\d{3}\)[ ]?\d{3}[ .-]?\d{4}"
    r"|[2-9]\d{2}([.-]|[ ])\d{3}\1\d{4}"
    # National with a trunk 0: 030 12345678, 020 7946 0958, 06 12 34 56 78, 030/1234567.
    r"|0\d{1,4}(?:[ /-]\d{2,8}){1,4}"
    r")(?![\w:])(?![ .-]?\d)"
)
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)(?:order|invoice|ticket|case|ref(?:erence)?|sku|serial|tracking|item|id)\b"
    r"[ #:.no]{0,6}$"
)
_DATE_START = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{2,4}")

_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|call me (?:at|on)|whatsapp|fax|handy|telefon)"
    r"\b[^\d\n+]{0,12}(\+?\d[\d ()/-]{5,20}\d)(?![\w.])"
)


def _digit_count(text: str) -> int:
    return sum(1 for c in text if c.isdigit())


def _phone(match: re.Match[str], text: str) -> str | None:
    raw = match.group(0)
    if _DATE_START.match(raw):
        return None
    before = text[max(0, match.start() - 40) : match.start()]
    if not raw.startswith("+") and _NOT_PHONE_CONTEXT.search(before):
        return None  # "+CC ..." is a phone whatever precedes it
    digits = _digit_count(raw)
    if raw.startswith("+"):
        ok = 8 <= digits <= 15
    elif raw.startswith("00"):
        # "order 00123842" is a zero-padded number; a dialled 00 number has groups.
        ok = 10 <= digits <= 15 and any(not c.isdigit() for c in raw)
    elif raw.startswith("("):
        ok = digits == 10
    elif raw.startswith("0"):
        ok = 9 <= digits <= 12
    else:
        ok = digits == 10
    return "[PHONE]" if ok else None


def _context_phone(match: re.Match[str]) -> str | None:
    number = match.group(1)
    if not 7 <= _digit_count(number) <= 15:
        return None
    start = match.start(1) - match.start(0)
    return match.group(0)[:start] + "[PHONE]"


# --- driver -----------------------------------------------------------------------------


def _apply(
    pattern: re.Pattern[str],
    text: str,
    kind: str,
    counts: dict[str, int],
    decide: Callable[[re.Match[str]], str | None],
) -> str:
    def replace(match: re.Match[str]) -> str:
        result = decide(match)
        if result is None:
            return match.group(0)
        counts[kind] = counts.get(kind, 0) + 1
        return result

    return pattern.sub(replace, text)


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace personal data in ``text`` with placeholders; return the text and counts per kind.

    Order matters: secrets and emails first (they contain digits and dots the number patterns
    would otherwise nibble at), then IBANs, cards, SSNs and phones.
    """
    counts: dict[str, int] = {}
    if not text:
        return text, counts
    text = _apply(_VENDOR_SECRET, text, "secret", counts, lambda m: "[SECRET]")
    text = _apply(_KEYED_SECRET, text, "secret", counts, _keyed_secret)
    text = _apply(_EMAIL, text, "email", counts, lambda m: "[EMAIL]")
    text = _apply(_IBAN, text, "iban", counts, _iban)
    current = text
    text = _apply(_CARD, current, "card", counts, lambda m: _card(m, current))
    text = _apply(_SSN, text, "ssn", counts, lambda m: "[SSN]")
    text = _apply(_SSN_KEYED, text, "ssn", counts, lambda m: m.group(1) + m.group(2) + "[SSN]")
    current = text
    text = _apply(_PHONE, current, "phone", counts, lambda m: _phone(m, current))
    text = _apply(_PHONE_CONTEXT, text, "phone", counts, _context_phone)
    return text, counts
