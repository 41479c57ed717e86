"""Personal data that is not a number with a checksum: obfuscated emails, dates of birth,
street addresses, identity-document numbers. Part of ``redact``.

Obfuscated emails (``jane[at]example[dot]com``, ``jane (at) example (dot) com``,
``jane%40example.com``, and HTML entities, decoded first by ``decode_entities``) are matched as
an address with its ``@`` and dots spelled out. The spelled-out forms with plain spaces
(``jane at example dot com``) are prose too ("look at example dot com"), so they count only
when the address really looks like one: the local part has a dot, digit or ``+``, or a mail
word precedes it, or the top-level domain is a common one and the local part is not a verb
or preposition from ``_NOT_LOCAL``.

Dates of birth, addresses, bank-account and ID numbers are only taken after a label ("DOB:",
"address:", "passport number"), or, for streets, in the shape ``<number> <Name> Street`` or
``<Name>straße <number>``: a date or a number alone is what tickets are made of.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

Decide = Callable[[re.Match[str]], str | None]

# --- HTML character references ------------------------------------------------------------

_ENTITY = re.compile(
    r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|(commat|period|plus|lowbar|colon|sol|num|percnt));"
)
_PII_CHAR = re.compile(r"[\w@.+\-:/#%]")


def decode_entities(text: str) -> str:
    """Decode the character references that spell the parts of an address or a number.

    ``jane&#64;example&#46;com`` is an email to anyone reading it; ``&amp;`` and ``&lt;`` stay
    as they are, since they cannot hide personal data.
    """
    if "&" not in text:
        return text

    def decode(match: re.Match[str]) -> str:
        char = html.unescape(match.group(0))
        return char if len(char) == 1 and _PII_CHAR.fullmatch(char) else match.group(0)

    return _ENTITY.sub(decode, text)


# --- obfuscated emails ----------------------------------------------------------------------

_AT_WORD = r"[ \t]{1,3}(?:at|AT|At)[ \t]{1,3}"
_AT_MARK = (
    r"[ \t]{0,2}(?:\[at\]|\(at\)|\{at\}|<at>|\[@\]|\(@\)|\{@\}|\[ at \]|\( at \))[ \t]{0,2}"
    r"|[ \t]{1,2}@[ \t]{1,2}|@@|%40"
)
_DOT_WORD = r"[ \t]{1,3}(?:dot|DOT|Dot|punkt|Punkt|PUNKT|point|punto)[ \t]{1,3}"
_DOT_MARK = (
    r"[ \t]{0,2}(?:\[(?:dot|punkt|point)\]|\((?:dot|punkt|point)\)|\{dot\}|<dot>|\[\.\]|\(\.\)"
    r"|\[ dot \]|\( dot \))[ \t]{0,2}|[ \t]{1,2}\.[ \t]{1,2}"
)
_DOT = rf"(?:{_DOT_MARK}|{_DOT_WORD}|\.)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.%+-])([A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}}(?:(?:{_DOT_MARK}|{_DOT_WORD})"
    rf"[A-Za-z0-9][A-Za-z0-9_%+-]{{0,63}}){{0,3}})"
    rf"({_AT_MARK}|{_AT_WORD})"
    rf"({_LABEL}(?:{_DOT}{_LABEL}){{0,4}})({_DOT})([A-Za-z]{{2,24}})(?![\w-])"
)
_COMMON_TLDS_WORDS = """
    com org net edu gov mil int io co uk de fr nl es it ch at be se no dk fi pl cz ru cn jp in
    au ca us info biz me app dev ai eu xyz online shop pt br mx ar ie nz za kr tw hk sg tr gr hu
    ro sk il ae
"""
_COMMON_TLDS = frozenset(_COMMON_TLDS_WORDS.split())
# Words that stand before "at" in prose: "look at example dot com", "arrived at home dot".
_NOT_LOCAL_WORDS = """
    look looking looked arrive arrived arriving stuck available based located hosted live lives
    living work works working here there site page app is are was were be been being login log
    sign signed found go going goes visit visiting see check online up down it this that me us
    him her them you we they i aim aimed aiming point pointing pointed stop stopped stays stay
    hit error fails failed failing crashes crashed crash only even all not back once least most
    best while seen shown listed published available online offline
"""
_NOT_LOCAL = frozenset(_NOT_LOCAL_WORDS.split())
_MAIL_CUE = re.compile(
    r"(?i)(?:e-?mail|mail|contact|write|reach|address|send|reply|cc|bcc|inbox)\b[^\n]{0,30}$"
)


def obfuscated_email(match: re.Match[str], text: str) -> str | None:
    local, at, _domain, _dot, tld = match.groups()
    spelled = match.group(0)
    word_at = at.strip().lower() == "at"
    if not word_at:
        return "[EMAIL]"
    # "at" with spaces: prose unless the rest of it says "address".
    tail = spelled[len(local) + len(at) :]
    obfuscated_dot = re.search(r"(?i)dot|punkt|point|\[|\(|\{", tail) is not None
    before = text[max(0, match.start() - 40) : match.start()]
    if re.search(r"[._+\d-]", local) or _MAIL_CUE.search(before):
        return "[EMAIL]"
    if tld.lower() in _COMMON_TLDS and local.lower() not in _NOT_LOCAL and obfuscated_dot:
        return "[EMAIL]"
    return None


# --- dates of birth -------------------------------------------------------------------------

_MONTH = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar|februar|märz|mai|juni|juli"
    r"|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre"
    r"|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
    r"|noviembre|diciembre)[a-z]{0,6}\.?"
)
_DATE = (
    rf"(?:\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\.?\s{{1,2}}(?:of\s)?{_MONTH},?\s{{1,2}}\d{{4}}"
    rf"|{_MONTH}\s{{1,2}}\d{{1,2}}(?:st|nd|rd|th)?,?\s{{1,2}}\d{{4}})"
)
_DOB = re.compile(
    rf"(?i)\b((?:date of birth|birth ?date|birthday|d\.?o\.?b\.?|born(?: on)?|geburtsdatum"
    rf"|geboren(?: am)?|née? le|date de naissance|fecha de nacimiento)"
    rf"(?: is| was)?\s{{0,3}}[:=]?\s{{0,3}})({_DATE})"
)

# --- addresses ------------------------------------------------------------------------------

_ADDRESS_LABEL = re.compile(
    r"(?i)\b((?:home |street |postal |mailing |billing |shipping |delivery |my |new |old |our )?"
    r"(?:address|ship(?:ping)? to|deliver(?:y)? to|lieferadresse|anschrift|adresse|dirección)"
    r"(?: is)?\s{0,3}:?\s{1,3})([^\n]{5,120}?)(?=\.\s|\.$|\n|$)"
)
_NOT_STREET_LABEL = re.compile(r"(?i)(?:ip|mac|e-?mail|web|wallet|server|url|bitcoin|btc)\s?$")


def address_label(match: re.Match[str], text: str) -> str | None:
    label, value = match.group(1), match.group(2)
    before = text[max(0, match.start() - 12) : match.start()]
    if _NOT_STREET_LABEL.search(before) or value.startswith(("[", "http", "www")):
        return None
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return None
    return label + "[ADDRESS]"


_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s(?:[A-Z][a-z]{1,20}\s){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Terrace|Way|Court|Ct"
    r"|Place|Pl|Square|Sq|Parkway|Pkwy|Highway|Hwy|Close|Crescent|Gardens)\b\.?"
    r"|\b[A-ZÄÖÜ][a-zäöüß]{2,30}(?:straße|strasse|str\.|weg|platz|allee|gasse)\s\d{1,4}[a-z]?\b"
    r"|\b(?:rue|avenue|boulevard|calle|via|piazza) (?:de la |de |du |des |del |della )?"
    r"[A-Z][a-zé]{2,20}(?: [A-Z][a-zé]{2,20})?,? \d{1,4}\b"
    r"|\b\d{1,4},? (?:rue|avenue|boulevard|allée) (?:de la |de |du |des )?[A-Z][a-zé]{2,20}\b"
    r"|\bP\.?\s?O\.?\s?Box\s\d{1,6}\b"
)

# --- identity documents ---------------------------------------------------------------------

_ID_LABELLED = re.compile(
    r"(?i)\b((?:passport|ni number|ni no\.?|driver'?s? licen[cs]e|driving licen[cs]e"
    r"|national id|id card"
    r"|identity card|personalausweis|ausweis|tax id|steuer-?id(?:nr\.?|entifikationsnummer)?"
    r"|identifikationsnummer|reisepass|passnummer|pass-nr\.?|passeport|pasaporte"
    r"|num[ée]ro de s[ée]curit[ée] sociale|s[ée]curit[ée] sociale|n° de s[ée]cu|nir|dni"
    r"|documento de identidad|n[úu]mero de identidad|national insurance|nino|bsn"
    r"|nif|codice fiscale|personnummer|aadhaar|pesel|social insurance)"
    r"(?: number| no\.?| nr\.?| #|nummer)?(?: is)?\s{0,3}[:#]?\s{0,3})"
    r"([A-Z0-9](?:[A-Z0-9 -]{3,20}[A-Z0-9]))(?![\w-])"
)


def id_labelled(match: re.Match[str]) -> str | None:
    value = match.group(2)
    return match.group(1) + "[ID_NUMBER]" if sum(c.isdigit() for c in value) >= 4 else None


# UK National Insurance number: two letters from a restricted set, six digits, A-D.
_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")


def _gate(words: str) -> tuple[str, ...]:
    """Lower-case words, any of which must occur in the (lower-cased) text for a rule to run."""
    return tuple(words.split("|"))


Rule = tuple[str, re.Pattern[str], Decide, tuple[str, ...] | None]


# Bank account and routing numbers: only after their label ("AWS account 1234..." is not one).
_BANK_ACCOUNT = re.compile(
    r"(?i)\b((?:bank )?(?:account (?:number|no\.?|nr\.?|#)|acct(?: no\.?| #)?|routing(?: number)?"
    r"|sort code|bsb|kontonummer|konto-?nr\.?|blz|aba)(?: is)?\s{0,3}[:#]?\s{0,3})"
    r"(\d(?:[ -]?\d){5,16})(?!\d)"
)


def personal_rules(text_of: Callable[[], str]) -> list[Rule]:
    """``(kind, pattern, decide, gate)`` in order; ``text_of`` gives the text as it stands.

    A rule runs only when its cheap ``gate`` (if any) finds one of its words.
    """
    return [
        (
            "email",
            _OBFUSCATED_EMAIL,
            lambda m: obfuscated_email(m, text_of()),
            _gate(" at |at]|at)|at}|at>|@|%40|\tat"),
        ),
        (
            "dob",
            _DOB,
            lambda m: m.group(1) + "[DOB]",
            _gate("birth|dob|d.o.b|born|geburt|geboren|naissance|nacimiento|né le|née le"),
        ),
        (
            "national_id",
            _ID_LABELLED,
            id_labelled,
            _gate(
                "passport|licen|national|id card|identity|ausweis|tax id|steuer|insurance|nino"
                "|bsn|nif|fiscale|personnummer|aadhaar|pesel|ni n|identifikation|pass|curit"
                "|sécu|secu|nir|dni|documento|identidad"
            ),
        ),
        ("national_id", _NINO, lambda m: "[ID_NUMBER]", None),
        (
            "bank_account",
            _BANK_ACCOUNT,
            lambda m: m.group(1) + "[ACCOUNT]",
            _gate("account|acct|routing|sort code|bsb|konto|blz|aba"),
        ),
        (
            "address",
            _ADDRESS_LABEL,
            lambda m: address_label(m, text_of()),
            _gate("address|ship|deliver|adresse|anschrift|direcci"),
        ),
        ("address", _STREET, lambda m: "[ADDRESS]", None),
    ]
