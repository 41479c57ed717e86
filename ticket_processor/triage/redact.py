"""Personal-data redaction: what must never leave the machine for the LLM.

``redact(text)`` replaces emails (also spelled out: ``[at]``, ``(dot)``, ``&#64;``, ``%40``;
in any script), phone numbers (also split across lines, with an extension, or ten bare
digits), payment-card numbers (Luhn-checked, also inside URLs or split by ``/``), IBANs
(mod-97-checked, also over two lines), social security and identity-document numbers,
labelled dates of birth and addresses, national ids, IP addresses and wallets
(``redact_ids``), and credentials (API keys and tokens, passwords, PINs: ``redact_secrets``)
with placeholders such as ``[EMAIL]`` and counts what it replaced. Digits of every script
count (``redact_ids.fold_digits``).

Precision matters as much as recall: order numbers, dates, version strings and amounts are what
tickets are made of, and eating them makes the analysis worse. So every numeric pattern is
checked after matching (Luhn, mod 97, digit counts, card prefixes, the words just before it)
rather than trusting a broad regex. Every pattern uses bounded quantifiers without nested
ambiguity, so a 1 MB hostile body costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .redact_ids import after_rules, fold_digits, id_rules, unfold
from .redact_numbers import NEEDED as NUMBER_NEEDED
from .redact_numbers import number_rules
from .redact_personal import (
    _OBFUSCATED_EMAIL,
    OBFUSCATED_EMAIL_DOMAIN,
    OBFUSCATED_LOCAL_WIDTH,
    decode_entities,
    personal_rules,
)
from .redact_personal import NEEDED as PERSONAL_NEEDED
from .redact_search import Look, guarded, opens, sub_near
from .redact_secrets import NEEDED as SECRET_NEEDED
from .redact_secrets import secret_rules

Decide = Callable[[re.Match[str]], str | None]

# --- emails -----------------------------------------------------------------------------

# Letters of any script: ``иван@пример.рф``, ``josé.garcía@correo.es``, ``用户@例子.广告``.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[^\W_][\w.%+-]{0,63}@"
    r"[^\W_][\w-]{0,62}(?:\.[\w-]{1,63}){0,8}\.[^\W\d_]{2,24}(?![\w-])"
)

# --- IBAN -------------------------------------------------------------------------------

# A group may follow a line break: an IBAN copied over two lines.
_IBAN_GAP = r"(?:[ ]|[ \t]{0,3}\n[ \t]{0,3})?"
_IBAN = re.compile(
    rf"(?<![\w])([A-Za-z]{{2}}\d{{2}}(?:{_IBAN_GAP}[A-Za-z0-9]{{4}}){{2,7}}"
    rf"(?:{_IBAN_GAP}[A-Za-z0-9]{{1,4}})?)(?![\w])"
)


def _iban_valid(compact: str) -> bool:
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def _iban(match: re.Match[str]) -> str | None:
    raw = match.group(1)
    parts = raw.split()
    # The greedy match may have swallowed a following word; try shorter cuts at group edges.
    for end in range(len(parts), 0, -1):
        compact = "".join(parts[:end]).upper()
        if _iban_valid(compact):
            rest = " ".join(parts[end:])
            return "[IBAN]" + (" " + rest if rest else "")
    return None


# --- cards ------------------------------------------------------------------------------

# Not after "=" either: ``a=516770465071103`` in a stack trace is a value, not a card.
# Groups split by spaces, dots, dashes or slashes (``4111/1111/1111/1111``).
_CARD = re.compile(r"(?<![\w+.,/=-])(\d(?:[ ./-]?\d){12,22})(?![\w.,/-]?\d)")
# After a card-ish key (``card=``, ``cc_number:``) the ``=`` does not rule a card out.
_KEYED_CARD = re.compile(
    r"(?i)\b((?:card|cc|ccnum|cc_?number|card_?number|cardno|card_?no|pan)\w{0,10}[\"']?\s{0,2}"
    r"[:=]\s{0,2}[\"']?)(\d(?:[ -]?\d){12,18})(?!\d)"
)
# Inside a URL, a card number may sit in the path or the query, spaces encoded.
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']{1,2048}")
_URL_DIGITS = re.compile(r"(?<![0-9])[0-9](?:(?:%20|[+ -])?[0-9]){12,18}(?![0-9])")

# Words that, just before a number, say it is not a card even when Luhn happens to pass.
_NOT_CARD_CONTEXT = re.compile(
    r"(?i)(?:order|tracking|iban|invoice|shipment|parcel|ticket|case|ref(?:erence)?|sku|imei|serial"
    r"|account number|customer|transaction|confirmation|awb|booking)\b[^\n]{0,20}$"
)
_IBAN_HEAD = re.compile(r"(?<![\w])[A-Za-z]{2}\d{2} ?$")
_CARD_CONTEXT = re.compile(
    r"(?i)(?:card|visa|mastercard|amex|credit|debit|cc|kreditkarte|karte|carte|tarjeta"
    r"|creditcard|kaart|cart[aã]o)\b[^\n]{0,20}$"
)
# A placeholder already written ends the context: the words before it were about what it
# replaced ("IBAN [IBAN], Kreditkarte 5555 ...": the IBAN's word is not the card's).
_PLACEHOLDER = re.compile(r"\[[A-Z_]{2,12}\]")


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


_ANY_CARD = re.compile(r"(?<!\d)\d(?:[ ./-]?\d){12,18}(?!\d)")


def holds_card_number(text: str) -> bool:
    """Whether ``text`` holds a card-shaped number whatever the words around it (``redact``
    spares an order or a tracking number that happens to pass): for text that must carry none,
    as a field the customer sees."""
    return any(_card_shape(re.sub(r"\D", "", m.group(0))) for m in _ANY_CARD.finditer(text))


def _card(match: re.Match[str], text: str) -> str | None:
    raw = match.group(1)
    before = _PLACEHOLDER.split(text[max(0, match.start() - 40) : match.start()])[-1]
    if _NOT_CARD_CONTEXT.search(before) and not _CARD_CONTEXT.search(before):
        return None
    if _IBAN_HEAD.search(before):
        return None  # the tail of an IBAN whose check failed: not a card either
    groups = re.split(r"[ ./-]", raw)
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

_SSN = re.compile(
    r"(?<![\w.-])(?!000|666|9\d\d)\d{3}([- .])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-]|\.\d)"
)
# Nine digits without dashes only count when the text says it is an SSN.
_SSN_KEYED = re.compile(
    r"(?i)\b(ssn|social security (?:number|no\.?))(\s{0,3}[:#]?\s{0,3})"
    r"(?!000|666|9\d\d)(\d{9})(?!\d)"
)

# --- phones -----------------------------------------------------------------------------


# A number glued to a letter or digit is part of that word, except in the scripts written
# without spaces between words (Thai, Chinese, Japanese, Korean): "お電話は０８０…" is a phone.
_NO_SPACES = r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"


def _phone_pattern(sep: str, trunk_sep: str, *, split: bool) -> re.Pattern[str]:
    # Split: any separator per gap; else the same one twice (415-555-0132, 1-800-555-0199).
    same = r"(?:1[ .-])?[2-9]\d{2}([.-]|[ ])\d{3}\1\d{4}"
    nanp = rf"(?:1{sep})?[2-9]\d{{2}}{sep}\d{{3}}{sep}\d{{4}}" if split else same
    return re.compile(
        rf"(?:(?<![\w+])|(?<={_NO_SPACES}))(?<!\d[ .-])(?:"
        # International: +CC or 00CC (maybe in parentheses), optional (0), then groups.
        rf"\(?(?:\+|00)[1-9]\d{{0,2}}\)?(?:{sep}?\(0\))?"
        rf"(?:{sep}?\(\d{{1,4}}\)|{sep}?\d{{1,4}})(?:{sep}?\d{{2,6}}){{1,4}}"
        # North American: (415) 555-0132 / 415-555-0132 / 415.555.0132 / 415 555 0132.
        rf"|\(\d{{3}}\){sep}?\d{{3}}{sep}?\d{{4}}"
        rf"|{nanp}"
        # National with a trunk 0: 030 12345678, 020 7946 0958, 06 12 34 56 78, 030/1234567.
        rf"|0\d{{1,4}}(?:{trunk_sep}\d{{2,8}}){{1,4}}"
        # Ten bare digits shaped like a North American number (area and exchange 2-9), or ten
        # or eleven with a trunk 0 (09123456789, 0612345678, 01711234567).
        + ("" if split else r"|[2-9]\d{2}[2-9]\d{6}|0[1-9]\d{8,9}")
        + rf")(?:(?![\w:])|(?={_NO_SPACES}))(?![ .-]?\d)"
    )


_PHONE = _phone_pattern("[ .-]", "[ /-]", split=False)
# The same shapes with a line break between two groups ("+44 20\n7946 0958").
_BREAK = r"[ \t]{0,3}\n[ \t]{0,3}"
_PHONE_SPLIT = _phone_pattern(
    rf"(?:[ .-]?{_BREAK}|[ .-])", rf"(?:[ /-]?{_BREAK}|[ /-])", split=True
)
_NOT_PHONE_CONTEXT = re.compile(
    r"(?i)(?:(?:order|invoice|ticket|case|ref(?:erence)?|sku|serial|tracking|item|id"
    r"|transaction|confirmation|account|customer|booking|shipment|parcel|po|imei|build"
    r"|version|error|code|amount|total|qty|quantity|receipt|policy|contract|member)\b"
    r"(?:\s?(?:number|no\.?|nr\.?|num|id))?[ #:.]{0,4}|#\s?)$"
)
_PHONE_CUE = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile?|cell|call|ring|reach|whatsapp|fax|handy|telefon"
    r"|number|contact|erreichbar|rufnummer|telefonnummer|portable|téléphone|appeler|numéro"
    r"|número|llamar|móvil|cellulare)\b[^\n]{0,30}\n?[^\n]{0,30}$"
)
_DATE_START = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{2,4}")

_PHONE_CONTEXT = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|call me (?:at|on)|whatsapp|fax|handy|telefon)"
    r"\b[^\d\n+]{0,12}(\+?\d[\d ()/-]{5,20}\d)(?![\w.]|[ ()/-]\d)"
)


# What every phone ``_phone`` takes holds: eight digits at least, on one line at most three
# characters apart (") (" between a country code and "(0)"), over a line break ten (a
# separator, three blanks, the break, three blanks and the parentheses). A ticket without them
# (most: an order number, a version) is not searched for the shapes at all.
_PHONE_DIGITS = re.compile(r"[0-9](?:[^0-9]{0,3}[0-9]){7}")
_SPLIT_PHONE_DIGITS = re.compile(r"[0-9](?:[^0-9]{0,10}[0-9]){7}")


def _digit_count(text: str) -> int:
    return sum(1 for c in text if c.isdigit())


def _phone(match: re.Match[str], text: str) -> str | None:
    raw = match.group(0).lstrip("(")
    if _DATE_START.match(raw):
        return None
    before = text[max(0, match.start() - 40) : match.start()]
    if not raw.startswith("+") and _NOT_PHONE_CONTEXT.search(before):
        return None  # "+CC ..." is a phone whatever precedes it
    if raw.isdigit() and before[-1:] not in ("", " ", "\n", "\t", ":", "(", ",", ";"):
        return None  # "SN-4155550132", "id_2125550147": bare digits glued to a code
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
        ok = digits == 10 or (digits == 11 and raw.startswith("1"))  # 1-800-555-0199
    return "[PHONE]" if ok else None


def _quiet_phone(match: re.Match[str], text: str) -> bool:
    """No word before the number says it is something else (an order, a build, an amount);
    a number dialled with ``+`` is a phone whatever precedes it."""
    if match.group(0).lstrip("( ").startswith("+"):
        return True
    return _NOT_PHONE_CONTEXT.search(text[max(0, match.start() - 40) : match.start()]) is None


def _split_phone(match: re.Match[str], text: str) -> str | None:
    """A number broken over lines counts when it is plainly dialled (``+``, ``(``, ``00``) or
    a phone word precedes it; otherwise two numbers on two lines are two numbers."""
    raw = match.group(0)
    if "\n" not in raw:
        return None  # on one line: the ordinary pass already decided
    before = text[max(0, match.start() - 60) : match.start()]
    if not (raw.startswith(("+", "(", "00")) or _PHONE_CUE.search(before)):
        return None
    return _phone(match, text)


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
    search = _SEARCHES.get(id(pattern))
    if search is None or search.pattern is not pattern:
        search = _SEARCHES[id(pattern)] = _search_of(pattern)
    if search.needed is not None and search.needed.search(text) is None:
        return text

    def replace(match: re.Match[str]) -> str:
        result = decide(match)
        if result is None:
            return match.group(0)
        counts[kind] = counts.get(kind, 0) + 1
        return result

    if search.near is not None:
        return sub_near(search.guarded, *search.near, text, replace)
    return search.guarded.sub(replace, text)


def _search_of(pattern: re.Pattern[str]) -> _Search:
    near = _NEAR.get(pattern)
    needed = _NEEDED.get(pattern)
    # ``sub_near`` looks for its needle first: the same look before it would be paid twice.
    if near is not None and needed is near[0]:
        needed = None
    return _Search(pattern, guarded(pattern), needed, near)


class _Search(NamedTuple):
    """How one pattern is searched (``redact_search``), looked up once a pattern: a compiled
    pattern's hash reads all its compiled code, so three dictionaries keyed by the pattern
    cost a few microseconds a rule, for every rule and every text."""

    pattern: re.Pattern[str]
    guarded: re.Pattern[str]
    needed: Look | None
    near: tuple[re.Pattern[str], int] | None


# By the pattern's id: the patterns are the modules' own and live as long as the process
# (the pattern is kept in the entry and checked, should an id ever be reused).
_SEARCHES: dict[int, _Search] = {}


# A pattern, and what every one of its matches holds, cheaper to look for than the match.
_NEEDED: dict[re.Pattern[str], Look] = {
    _OBFUSCATED_EMAIL: OBFUSCATED_EMAIL_DOMAIN,
    # As ``redact_numbers.NEEDED``: thirteen digits for a card, an SSN's three groups, an
    # IBAN's check digits after its country and its first group.
    _CARD: re.compile(r"[0-9](?:[ ./-]?[0-9]){12}"),
    _SSN: re.compile(r"[0-9][0-9]{2}[- .][0-9]{2}[- .][0-9]{4}"),
    _IBAN: re.compile(rf"[0-9](?<=[A-Za-z]{{2}}[0-9])[0-9]{_IBAN_GAP}[A-Za-z0-9]{{4}}"),
    **PERSONAL_NEEDED,
    **NUMBER_NEEDED,
    **SECRET_NEEDED,
}
# A pattern, what every one of its matches holds, and how far at most into the match that
# starts: an e-mail's ``@`` (or its spelled-out "at" and domain) comes after a local part of
# at most 64 characters (289 spelled out, ``OBFUSCATED_LOCAL_WIDTH``).
_NEAR: dict[re.Pattern[str], tuple[re.Pattern[str], int]] = {
    _EMAIL: (re.compile("@"), 64),
    _OBFUSCATED_EMAIL: (OBFUSCATED_EMAIL_DOMAIN, OBFUSCATED_LOCAL_WIDTH),
}


def _url_cards(text: str, counts: dict[str, int]) -> str:
    """Card numbers inside URLs (``/pay?card=4111111111111111``), where ``=`` and ``/`` sit
    right before the digits and the ordinary card pattern steps back."""

    def digits(match: re.Match[str]) -> str:
        found = match.group(0)
        plain = re.sub(r"%20|\D", "", found)
        if not _card_shape(plain):
            return found
        counts["card"] = counts.get("card", 0) + 1
        return "[CARD]"

    return _URL.sub(lambda m: _URL_DIGITS.sub(digits, m.group(0)), text)


def _keyed_card(match: re.Match[str]) -> str | None:
    plain = re.sub(r"\D", "", match.group(2))
    return match.group(1) + "[CARD]" if _card_shape(plain) else None


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace personal data in ``text`` with placeholders; return the text and counts per kind.

    Order matters: character references decoded, digits of every script matched as ASCII (on
    a folded copy, the original characters kept where nothing was replaced: ``redact_ids``),
    then secrets and emails (they contain digits and dots the number patterns would otherwise
    nibble at), labelled dates, IDs and addresses, IP addresses, wallets and national ids,
    then cards (URLs first), IBANs, SSNs and phones, then what follows a placeholder (a
    phone's extension, a street's postcode).
    """
    counts: dict[str, int] = {}
    if not text:
        return text, counts
    decoded = decode_entities(text)
    folded = fold_digits(decoded)
    redacted = _redact_folded(folded, counts)
    return (redacted if folded == decoded else unfold(redacted, folded, decoded)), counts


def _redact_folded(text: str, counts: dict[str, int]) -> str:
    lowered = text.lower()  # for the gates: placeholders added later only open more
    current = _run(_FIRST_RULES, text, text, lowered, counts)
    current = _run(id_rules(current), current, text, lowered, counts)
    if "://" in current or "www." in current:
        current = _url_cards(current, counts)
    current = _run(_NUMBER_RULES, current, text, lowered, counts)
    if _PHONE_DIGITS.search(current):
        current = _apply(_PHONE, current, "phone", counts, _phone_here)
    if "\n" in current and _SPLIT_PHONE_DIGITS.search(current):
        current = _apply(_PHONE_SPLIT, current, "phone", counts, _split_phone_here)
    current = _run(_CONTEXT_PHONE_RULES, current, text, lowered, counts)
    current = _run(number_rules(current, _quiet_phone_here), current, text, lowered, counts)
    for kind, pattern, decide, after in after_rules():
        if any(placeholder in current for placeholder in after or ()):
            current = _apply(pattern, current, kind, counts, decide)
    return current


Rule = tuple[str, re.Pattern[str], Decide, tuple[str, ...] | None]


def _run(
    rules: Iterable[Rule], current: str, text: str, lowered: str, counts: dict[str, int]
) -> str:
    """``current`` after ``rules`` in order, each whose gate opens on the text as it came."""
    for kind, pattern, decide, gate in rules:
        if gate is None or opens(gate, text, lowered):
            current = _apply(pattern, current, kind, counts, decide)
    return current


# A rule's decision reads the text around its match as the text stands when the rule runs:
# the match's own ``string``. So the rules are made once, not for every text.
def _card_here(match: re.Match[str]) -> str | None:
    return _card(match, match.string)


def _phone_here(match: re.Match[str]) -> str | None:
    return _phone(match, match.string)


def _split_phone_here(match: re.Match[str]) -> str | None:
    return _split_phone(match, match.string)


def _quiet_phone_here(match: re.Match[str]) -> bool:
    return _quiet_phone(match, match.string)


# Gates: a rule anchored on a word runs only when the word is there (see redact_secrets).
_AT_SIGN = ("@",)
_CARD_WORD = ("card", "cc", "pan")
_SSN_WORD = ("ssn", "social")
_PHONE_WORD = ("phone", "tel", "mobile", "cell", "call me", "whatsapp", "fax", "handy")

# The rules in order, around the ones that ask for a first look (``id_rules``,
# ``number_rules``) and the phone shapes (``_PHONE_DIGITS``): secrets and emails first (they
# hold digits and dots the number patterns would nibble at), then labelled personal data;
# keyed cards, IBANs, cards and SSNs; the phone after its word.
_FIRST_RULES: tuple[Rule, ...] = (
    *(("secret", pattern, decide, gate) for pattern, decide, gate in secret_rules()),
    ("email", _EMAIL, lambda m: "[EMAIL]", _AT_SIGN),
    *personal_rules(),
)
_NUMBER_RULES: tuple[Rule, ...] = (
    ("card", _KEYED_CARD, _keyed_card, _CARD_WORD),
    ("iban", _IBAN, _iban, None),
    ("card", _CARD, _card_here, None),
    ("ssn", _SSN, lambda m: "[SSN]", None),
    ("ssn", _SSN_KEYED, lambda m: m.group(1) + m.group(2) + "[SSN]", _SSN_WORD),
)
_CONTEXT_PHONE_RULES: tuple[Rule, ...] = (("phone", _PHONE_CONTEXT, _context_phone, _PHONE_WORD),)
