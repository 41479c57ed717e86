"""Phone numbers in any country's format, national identifiers with check digits, and the
forms no library knows: phone numbers in words, MAC addresses, medical record numbers. Part of
``redact``; it runs after the hand-written phone, card and id rules, on what they left.

Phone numbers are judged by Google's libphonenumber (``phonenumbers``): every run of seven to
seventeen digits with the separators people type between them (spaces between single digits
too: ``0 1 7 6 1 2 3 4 5 6 7 8``) is handed to its ``PhoneNumberMatcher`` with leniency
``VALID`` for each region of ``REGIONS`` in turn, and replaced when one of them finds a valid
number there. The matcher is slow next to a regex, so it runs only on those runs (a ticket
without seven digits in a row skips it), and a run after a word that names what it is (an
order, a build, a version) or shaped like a date is left as it is.

National identifiers are judged by ``python-stdnum``: the Chinese resident id (``cn.ric``: 18
characters, a birth date and an ISO 7064 check), the Korean resident registration number
(``kr.rrn``: a birth date, the century digit and a check digit), the Brazilian CPF, the
Italian codice fiscale and the Mexican CURP (each with its check), wherever they stand.

Phone numbers spelled in words (English, German, French, Spanish: "plus four nine one seven
six ...") count from seven digit words in a row; a MAC address is six pairs of hex digits
(``00:1B:44:11:3A:B7``, ``00-1B-...``) or three groups of four (``001b.4411.3ab7``); a medical
record number follows its label (MRN, medical record number, patient id).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .redact_search import Look, LowerCaseLook

# phonenumbers and python-stdnum are imported where a text first needs them: most of a tenth
# of a second at start-up (phonenumbers' matcher alone is a third of it) that a run which finds
# no ticket, and every command that redacts nothing, never uses.

Decide = Callable[[re.Match[str]], str | None]
Rule = tuple[str, re.Pattern[str], Decide, tuple[str, ...] | None]

# The regions whose national formats (no +CC) are tried: the helpdesks' largest markets.
# A number written with +CC or 00CC is judged by its own country whatever the list says.
REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "AU", "IN", "BR", "JP", "CN", "KR", "RU")

# --- phone numbers, by libphonenumber ---------------------------------------------------

# Seven to seventeen digits, up to three separators between two of them, nothing glued to
# either end, and no more digits after a separator (a run is taken whole or not at all); the
# separators and digits are disjoint, so a try costs at most seventeen steps back.
_RUN = re.compile(
    r"(?<![\w+.,/=-])(?:\+ ?|\(\+?)?\d(?:[ ().\/-]{0,3}\d){6,16}\)?(?![\w]|[ ().,/-]{0,3}\d)"
)
_SPACED = re.compile(r"\+? ?\d(?: \d){6,16}")
_DIGITS7 = re.compile(r"\d(?:\D{0,3}\d){6}")
_ISO_DATE = re.compile(r"\d{4}([./-])\d{1,2}\1\d{1,2}(?!\d)|\d{1,2}([./-])\d{1,2}\2\d{2,4}(?!\d)")


def library_phone(match: re.Match[str], quiet: Callable[[re.Match[str]], bool]) -> str | None:
    """``[PHONE]`` when libphonenumber finds a valid number filling the run, for one region."""
    raw = match.group(0)
    # Bare digits without a + are left to ``redact``'s own shapes (ten digits of a North
    # American number, a trunk 0): a timestamp or an order number is a valid number somewhere.
    if raw.isdigit() or _ISO_DATE.match(raw.lstrip("(+ ")) or not quiet(match):
        return None
    digits = sum(c.isdigit() for c in raw)
    regions: tuple[str, ...] = ("ZZ",) if raw.lstrip("( ").startswith("+") else REGIONS
    # Digits spaced one by one follow no country's grouping: judged as the digits alone. A
    # grouped run must be grouped as its country groups it ("812 3456 7890" is a valid
    # Japanese number to VALID, but no Japanese writes it so: a meeting id).
    import phonenumbers

    if _SPACED.fullmatch(raw):
        raw = raw.replace(" ", "")
        leniency = phonenumbers.Leniency.VALID
    else:
        leniency = phonenumbers.Leniency.STRICT_GROUPING
    for region in regions:
        for found in phonenumbers.PhoneNumberMatcher(raw, region, leniency):
            if sum(c.isdigit() for c in found.raw_string) >= digits - 1:
                return "[PHONE]"
    return None


# --- phone numbers in words -------------------------------------------------------------

_DIGIT_WORDS = {
    "zero": 0, "oh": 0, "null": 0, "zéro": 0, "cero": 0,
    "one": 1, "eins": 1, "un": 1, "uno": 1,
    "two": 2, "zwei": 2, "zwo": 2, "deux": 2, "dos": 2,
    "three": 3, "drei": 3, "trois": 3, "tres": 3,
    "four": 4, "vier": 4, "quatre": 4, "cuatro": 4,
    "five": 5, "fünf": 5, "cinq": 5, "cinco": 5,
    "six": 6, "sechs": 6, "seis": 6,
    "seven": 7, "sieben": 7, "sept": 7, "siete": 7,
    "eight": 8, "acht": 8, "huit": 8, "ocho": 8,
    "nine": 9, "neun": 9, "neuf": 9, "nueve": 9,
}  # fmt: skip
_WORD = "(?:" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + ")"
_REPEAT = r"(?:double|triple|doppel)[ -]"
# "plus" or a digit first, then at least six more digit words (or digits) apart by a space,
# a comma or a dash: "plus four nine, one seven six, five five five ...".
_WORDS_PHONE = re.compile(
    rf"(?i)(?<![\w])(?:(?:plus|\+)[ ]?)?(?:{_REPEAT})?{_WORD}"
    rf"(?:[ ,-]{{1,2}}(?:{_REPEAT})?(?:{_WORD}|\d)(?![\w])){{6,20}}"
)

# --- national identifiers, by python-stdnum ---------------------------------------------

_CN_RIC = re.compile(r"(?<![\w-])(\d{6} ?\d{8} ?\d{3}[\dXx])(?![\w-])")
_KR_RRN = re.compile(r"(?<![\w-])(\d{6}[- ]?\d{7})(?![\w-])")
_CPF = re.compile(r"(?<![\w.-])(\d{3}\.\d{3}\.\d{3}-\d{2})(?![\w-]|\.\d)")
_CODICE_FISCALE = re.compile(
    r"(?i)(?<![\w])([A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z])(?![\w])"
)
_CURP = re.compile(r"(?i)(?<![\w])([A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z\d]\d)(?![\w])")


def _checked(validator: Callable[[str], bool]) -> Decide:
    def decide(match: re.Match[str]) -> str | None:
        return "[ID_NUMBER]" if validator(match.group(1)) else None

    return decide


# --- MAC addresses, medical record numbers ----------------------------------------------

_MAC = re.compile(
    r"(?i)(?<![\w:-])(?:[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}"
    r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})(?![\w:-])"
)
_MRN = re.compile(
    r"(?i)\b((?:mrn|medical record(?: number| no\.?| nr\.?| #)?|patient (?:id|number|no\.?)"
    r"|patientennummer|fallnummer|num[ée]ro de dossier(?: m[ée]dical)?|historia cl[íi]nica)"
    r"(?: is)?\s{0,3}[:#]?\s{0,3})([A-Z]{0,3}-?\d[A-Z0-9-]{3,19})(?![\w-])"
)


def _mac(match: re.Match[str]) -> str | None:
    # 00:00:00:00:00:00 and ff:ff:... name no device.
    compact = re.sub(r"[^0-9a-fA-F]", "", match.group(0)).lower()
    return None if compact in ("0" * 12, "f" * 12) else "[MAC]"


def number_rules(text: str, quiet: Callable[[re.Match[str]], bool]) -> list[Rule]:
    """``(kind, pattern, decide, gate)`` in order, as ``redact_ids.id_rules``; the library
    rules only when the text has seven digits close together, the word rule only when it has
    a digit word at all."""
    rules: list[Rule] = [
        ("mac", _MAC, _mac, (":", "-", ".")),
        ("national_id", _MRN, lambda m: m.group(1) + "[ID_NUMBER]", _MRN_GATE),
    ]
    if _DIGITS7.search(text):
        from stdnum.br import cpf
        from stdnum.cn import ric
        from stdnum.kr import rrn
        from stdnum.mx import curp

        rules += [
            ("national_id", _CN_RIC, _checked(ric.is_valid), None),
            ("national_id", _KR_RRN, _checked(rrn.is_valid), None),
            ("national_id", _CPF, _checked(cpf.is_valid), (".",)),
            ("national_id", _CURP, _checked(curp.is_valid), None),
            ("phone", _RUN, lambda m: library_phone(m, quiet), None),
        ]
    if _CODICE_FISCALE_LOOK.search(text) and _CODICE_FISCALE.search(text):
        from stdnum.it import codicefiscale

        rules.append(("national_id", _CODICE_FISCALE, _checked(codicefiscale.is_valid), None))
    rules.append(("phone", _WORDS_PHONE, lambda m: "[PHONE]", _WORD_GATE))
    return rules


_MRN_GATE = ("mrn", "medical", "patient", "fallnummer", "dossier", "clínica", "clinica")
_WORD_GATE = tuple(_DIGIT_WORDS)


# Cheap first looks: what every match of a pattern holds, starting with a digit or a separator
# (the regex engine skips straight to those), where the pattern opens with a look-behind and
# is tried at every place. A pattern whose look finds nothing in the text is not run
# (``redact._apply``). Digits are ASCII here: ``redact`` matches on a folded copy. A look opens
# with one digit, ``[0-9][0-9]{5}`` rather than ``[0-9]{6}``: the engine skips ahead only to a
# single character or class, and tries a look that opens with a repeat at every place.
NEEDED: dict[re.Pattern[str], Look] = {
    _CN_RIC: re.compile(r"[0-9][0-9]{5} ?[0-9]{8}"),
    _KR_RRN: re.compile(r"[0-9][0-9]{5}[- ]?[0-9]{7}"),
    _CPF: re.compile(r"[0-9][0-9]{2}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}"),
    # [HMX] under (?i) is a letter whatever its case.
    _CURP: re.compile(r"[0-9][0-9]{5}[^\W\d_]"),
    _MAC: re.compile(r"(?i)[:.-](?:(?<=[:-])[0-9a-f]{2}[:-][0-9a-f]{2}[:-]|(?<=\.)[0-9a-f]{4}\.)"),
    # A phone in words holds two digit words (or digits) in a row, each after a space, a comma
    # or a dash; "one" alone, in most English tickets, is no phone.
    _WORDS_PHONE: LowerCaseLook(
        rf"[ ,-](?:{_REPEAT.lower()})?(?:{_WORD}|[0-9])(?![\w])"
        rf"[ ,-]{{1,2}}(?:{_REPEAT.lower()})?(?:{_WORD}|[0-9])(?![\w])"
    ),
}
_CODICE_FISCALE_LOOK = re.compile(r"[0-9][0-9][^\W\d_][0-9]{2}[^\W\d_][0-9]{3}")
