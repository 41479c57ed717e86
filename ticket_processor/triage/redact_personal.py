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
from re import _parser  # type: ignore[attr-defined]

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

_AT_WORD = r"[ \t]{1,3}(?:at|AT|At|ät|Ät|ÄT)[ \t]{1,3}"
_AT_MARK = (
    r"[ \t]{0,2}(?:\[at\]|\(at\)|\[ät\]|\(ät\)|\{at\}|<at>|\[@\]|\(@\)|\{@\}|\[ at \]"
    r"|\( at \))[ \t]{0,2}"
    r"|[ \t]{1,2}@[ \t]{1,2}|@@|%40"
)
_DOT_WORD = r"[ \t]{1,3}(?:dot|DOT|Dot|punkt|Punkt|PUNKT|point|punto)[ \t]{1,3}"
_DOT_MARK = (
    r"[ \t]{0,2}(?:\[(?:dot|punkt|point)\]|\((?:dot|punkt|point)\)|\{dot\}|<dot>|\[\.\]|\(\.\)"
    r"|\[ dot \]|\( dot \))[ \t]{0,2}|[ \t]{1,2}\.[ \t]{1,2}"
)
_DOT = rf"(?:{_DOT_MARK}|{_DOT_WORD}|\.)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})"
_OBFUSCATED_LOCAL = (
    rf"[A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}}(?:(?:{_DOT_MARK}|{_DOT_WORD})"
    rf"[A-Za-z0-9][A-Za-z0-9_%+-]{{0,63}}){{0,3}}"
)
# How long the local part can be: its "at" stands at most this far into a match.
OBFUSCATED_LOCAL_WIDTH = _parser.parse(_OBFUSCATED_LOCAL).getwidth()[1]
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.%+-])({_OBFUSCATED_LOCAL})"
    rf"({_AT_MARK}|{_AT_WORD})"
    rf"({_LABEL}(?:{_DOT}{_LABEL}){{0,4}})({_DOT})([A-Za-z]{{2,24}})(?![\w-])"
)
# What every match of ``_OBFUSCATED_EMAIL`` holds from the local part's last character on
# (which is no space: "    at Client.upload" in a stack trace is not one): searched first, it
# spares the text the full pattern, which tries a 64-character local part at every word.
OBFUSCATED_EMAIL_DOMAIN = re.compile(
    rf"[A-Za-z0-9._%+-](?:{_AT_MARK}|{_AT_WORD}){_LABEL}(?:{_DOT}{_LABEL}){{0,4}}{_DOT}"
    r"[A-Za-z]{2,24}(?![\w-])"
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
    rf"|geb\.(?: am)?|geboren(?: am| op)?|née? le|date de naissance|fecha de nac(?:imiento|\.)"
    rf"|geboortedatum|data di nascita|nato il|nata il|data de nascimento|nascid[oa] em"
    rf"|f\. ?nac\.|fødselsdato|födelsedatum|syntymäaika|data urodzenia|datum narození)"
    rf"(?: is| was)?\s{{0,3}}[:=–-]?\s{{0,3}})({_DATE})"
)

# --- addresses ------------------------------------------------------------------------------

_ADDRESS_LABEL = re.compile(
    r"(?i)\b((?:home |street |postal |mailing |billing |shipping |delivery |my |new |old |our )?"
    r"(?:address|ship(?:ping)? to|deliver(?:y)? to|lieferadresse|anschrift|adresse|dirección"
    r"|wohnadresse|adres|woonadres|indirizzo|endereço|domicilio|domicile|i live at|lives? at"
    r"|wohne in der|wohne in|woon op|woon aan|j'habite au|j'habite|vivo en)"
    r"(?: is)?\s{0,3}:?\s{1,3})([^\n]{5,120}?)(?=\.\s|\.$|\n|$)"
)
_NOT_STREET_LABEL = re.compile(r"(?i)(?:ip|mac|e-?mail|web|wallet|server|url|bitcoin|btc)[\s-]?$")


def address_label(match: re.Match[str], text: str) -> str | None:
    label, value = match.group(1), match.group(2)
    before = text[max(0, match.start() - 12) : match.start()]
    if _NOT_STREET_LABEL.search(before) or value.startswith(("[", "http", "www")):
        return None
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return None
    return label + "[ADDRESS]"


# A street of the US, Canada, the UK, Germany, Austria, Switzerland, the Netherlands, Belgium,
# France, Spain and Italy, in the shape its country writes it: number first with an English
# street word (and a direction after: NW, E), a compound name with its number after
# (Keizersgracht 123, Lindenallee 7, Prinsengracht 263-267), a French, Spanish or Italian
# street word with its name. A name alone ("Damrak 1") is taken by ``_POSTCODE_LINE`` when a
# postcode and a town follow it.
_NAME = r"[A-ZÀ-ÝÄÖÜ][a-zà-ÿäöüß'’]{1,25}(?:-[A-ZÀ-Ýa-zà-ÿ][a-zà-ÿäöüß'’]{1,25}){0,2}"
_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s(?:[A-Z][a-z]{1,20}\s){1,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Terrace|Way|Court|Ct"
    r"|Place|Pl|Square|Sq|Parkway|Pkwy|Highway|Hwy|Close|Crescent|Gardens)\b\.?"
    r"(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?"
    r"|\b[A-ZÄÖÜ][a-zäöüß]{2,30}(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ring|ufer"
    r"|chaussee|markt|straat|gracht|laan|plein|kade|singel|dijk|steeg|dreef|hof|pad|baan"
    r"|wal|dam)\s\d{1,4}[a-z]?(?:-\d{1,4})?\b"
    r"|\b(?i:rue|avenue|boulevard|calle|via|piazza|avenida|viale|corso|carrer) "
    r"(?:de la |de |du |des |del |della |d')?"
    rf"{_NAME}(?: {_NAME})?,? \d{{1,4}}\b"
    r"|\b\d{1,5},? (?i:rue|avenue|boulevard|allée|chemin|impasse|quai|place|cours) "
    rf"(?:de la |de |du |des |d')?{_NAME}(?: {_NAME})?(?: (?:O|E|N|S|Ouest|Est|Nord|Sud)\b)?"
    r"|\bP\.?\s?O\.?\s?Box\s\d{1,6}\b"
)
# A street line without a street word, its postcode and town after it: "Damrak 1, 1012 LG
# Amsterdam", "Am Markt 3, 28195 Bremen", "Via Roma 12, 00184 Roma". The postcode is the
# Dutch (1012 LG), a five-digit (DE, FR, IT, ES) or a four-digit one (AT, CH, BE, DK) before a
# capitalised town; the words before the number must not be what a ticket numbers (a
# version, a room, an order: ``_NOT_STREET_WORDS``).
_POSTCODE_LINE = re.compile(
    rf"\b((?:{_NAME} ){{0,3}}{_NAME}) (\d{{1,4}}[a-z]?(?:-\d{{1,4}})?)"
    r"(,?[ \t]{0,3}\n?[ \t]{0,3})"
    rf"(\d{{4}} ?[A-Z]{{2}}|\d{{4,5}})(?![\w-]) ({_NAME})"
)
_NOT_STREET_WORDS_TEXT = """
    version build release windows android ios office error order ticket room floor page step
    chapter section line item invoice case model part level row table column port update patch
    phase stage week day year vol volume no nr number and or the to of in at on from since until
    between by for with about around approx only total qty quantity rev revision sprint issue bug
    task story epic server node core cpu gpu ram disk app option plan tier seat seats user users
    account
"""
_NOT_STREET_WORDS = frozenset(_NOT_STREET_WORDS_TEXT.split())


def postcode_line(match: re.Match[str]) -> str | None:
    words = match.group(1).lower().split()
    if any(w.strip("'’-") in _NOT_STREET_WORDS for w in words):
        return None
    if match.group(5).lower() in _NOT_STREET_WORDS:
        return None
    return "[ADDRESS]" + match.group(3) + "[ADDRESS] " + match.group(5)


# --- identity documents ---------------------------------------------------------------------

_ID_LABELLED = re.compile(
    r"(?i)\b((?:passport|ni number|ni no\.?|driver'?s? licen[cs]e|driving licen[cs]e"
    r"|national id|id card|id number|identity number|personal id|identity card"
    r"|personalausweis|ausweis|tax id|tax (?:file )?number|steuer-?id(?:nr\.?|entifikationsnummer)?"
    r"|steuernummer|identifikationsnummer|reisepass|passnummer|pass-nr\.?|passeport|pasaporte"
    r"|paspoort|passaporto|passaporte|pasaport|führerschein|rijbewijs"
    r"|sozialversicherungs(?:nummer)?|versicherungsnummer|krankenversicherungsnummer|svnr"
    r"|burgerservicenummer|sofinummer|carte d'identit[ée]|num[ée]ro fiscal"
    r"|num[ée]ro de s[ée]curit[ée] sociale|s[ée]curit[ée] sociale|n° de s[ée]cu|nir|dni"
    r"|documento de identidad|n[úu]mero de identidad|c[ée]dula|national insurance|nino|bsn"
    r"|nif|codice fiscale|personnummer|aadhaar|pesel|social insurance|medicare(?: card)?"
    r"|health (?:insurance |card )?number|(?-i:NHS|SIN|PAN|CPF|CURP|RFC|RUT|TFN|NRIC|HKID)"
    r"(?: card)?|паспорт|инн|снилс)"
    r"(?: number| no\.?| nr\.?| #|-?nummer|-nr\.?)?(?: is)?\s{0,3}[:#]?\s{0,3})"
    r"([A-Z0-9](?:[A-Z0-9 ./-]{3,22}[A-Z0-9]))(?![\w-])"
)


def id_labelled(match: re.Match[str]) -> str | None:
    value = match.group(2)
    return match.group(1) + "[ID_NUMBER]" if sum(c.isdigit() for c in value) >= 4 else None


# UK National Insurance number: two letters from a restricted set, six digits, A-D.
_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")

# Cheap first looks, as ``redact_numbers.NEEDED``: a National Insurance number's digits and
# letter; a street number after a space, the line's end, a postcode and the capital of the
# town's name after it (a reference "BEN-000162" or an order "(pedido 66120)" has five digits
# but neither). The look-behind comes after the first digit, so that the regex engine skips
# straight to digits.
NEEDED: dict[re.Pattern[str], re.Pattern[str]] = {
    _NINO: re.compile(r"[0-9][0-9] ?[0-9]{2} ?[0-9]{2} ?[A-D]"),
    _POSTCODE_LINE: re.compile(
        r"[0-9](?<= [0-9])[0-9]{0,3}[a-z]?(?:-[0-9]{1,4})?,?[ \t]{0,3}\n?[ \t]{0,3}[0-9]{4}"
        r"(?:[0-9]| ?[A-Z]{2})? [A-ZÀ-ÝÄÖÜ]"
    ),
}


def _gate(words: str) -> tuple[str, ...]:
    """Words, any of which must occur in the text for a rule to run: a lower-case word in the
    lower-cased text, a word with a capital as written."""
    return tuple(words.split("|"))


Rule = tuple[str, re.Pattern[str], Decide, tuple[str, ...] | None]


# Bank account and routing numbers: only after their label ("AWS account 1234..." is not one),
# in English, German, Dutch, French, Spanish, Italian and Portuguese.
_ACCOUNT_WORDS = (
    r"(?:bank |checking |savings |current )?(?:account (?:number|no\.?|nr\.?|#)"
    r"|acc(?:oun)?t\.? ?(?:no\.?|nr\.?|#|number)|acct|a/c(?: no\.?)?"
    r"|routing(?: (?:number|no\.?|#))?|sort ?code|bsb(?: number)?|kontonummer|konto-?nr\.?"
    r"|bankleitzahl|blz|aba(?: number)?|rekeningnummer|rekening(?:nr\.?)?"
    r"|num[ée]ro de compte|n[°o] de compte|compte(?: bancaire)?|code banque|code guichet"
    r"|rib|n[úu]mero de (?:cuenta|conta)|cuenta(?: bancaria)?|conta(?: corrente)?"
    r"|numero di conto|conto(?: corrente)?|abi|cab|clabe|ag[êe]ncia"
    r"|transit(?: number| no\.?)?|institution(?: number| no\.?)?)"
)
_BANK_ACCOUNT = re.compile(
    rf"(?i)\b({_ACCOUNT_WORDS}(?: is)?\s{{0,3}}[:#]?\s{{0,3}})(\d(?:[ -]?\d){{2,33}})(?!\d)"
)
# Short bank codes (a transit, institution, sort or bank code) are three to six digits; an
# account number is six or more.
_SHORT_CODE_LABEL = re.compile(
    r"(?i)(?:transit|institution|code banque|code guichet|abi|cab|ag[êe]ncia|sort ?code|bsb"
    r"|routing|aba|blz|bankleitzahl)"
)


def bank_account(match: re.Match[str]) -> str | None:
    digits = sum(c.isdigit() for c in match.group(2))
    shortest = 3 if _SHORT_CODE_LABEL.match(match.group(1)) else 6
    return match.group(1) + "[ACCOUNT]" if shortest <= digits <= 34 else None


# A plain "account 123456789" is a bank account where the text around it speaks of a bank
# (a routing number, a sort code, a transfer): "AWS account 123456789012" stays.
_PLAIN_ACCOUNT = re.compile(
    r"(?i)\b((?:account|acc|konto|compte|cuenta|conto|rekening)\.?\s{0,3}[:#]?\s{0,3})"
    r"(\d(?:[ -]?\d){5,33})(?!\d)"
)
_BANK_CUE = re.compile(
    r"(?i)routing|sort ?code|\bbsb\b|\baba\b|\biban\b|\bswift\b|\bbic\b|\bbank|\bwire\b"
    r"|transfer|\btransit\b|institution|\[ACCOUNT\]|\bblz\b|banque|banco|banca|\brib\b"
    r"|[üu]berweisung|overschrijving|virement|transferencia|bonifico"
)


def plain_account(match: re.Match[str], text: str) -> str | None:
    around = text[max(0, match.start() - 80) : match.end() + 60]
    return match.group(1) + "[ACCOUNT]" if _BANK_CUE.search(around) else None


# The rules' gates, made once: a gate made for every text cost its split and its lookup.
_AT_GATE = _gate(" at |at]|at)|at}|at>|@|%40|\tat| ät |ät]|ät)")
_DOB_GATE = _gate(
    "birth|dob|d.o.b|born|geburt|geb.|geboren|naissance|nac|né le|née le|geboorte"
    "|nascita|nato|nata|nascimento|nascid|fødsel|födelse|syntymä|urodzenia|narození"
)
_ID_GATE = _gate(
    "passport|licen|national|id card|identity|ausweis|tax|steuer|insurance|nino"
    "|bsn|nif|fiscal|personnummer|aadhaar|pesel|ni n|identifikation|pass|curit"
    "|sécu|secu|nir|dni|documento|identidad|id number|personal id|paspoort|pasaport"
    "|führerschein|rijbewijs|versicherung|svnr|burgerservice|sofi|identit|cédula"
    "|cedula|medicare|health|паспорт|инн|снилс"
    # The pattern takes these only in capitals: "using" and "company" are no label.
    "|NHS|SIN|PAN|CPF|CURP|RFC|RUT|TFN|NRIC|HKID"
)
_BANK_GATE = _gate(
    "account|acc|a/c|routing|sort|bsb|konto|blz|bankleit|aba|rekening|compte|banque"
    "|guichet|rib|cuenta|conta|conto|abi|cab|clabe|agên|agen|transit|institution"
)
_PLAIN_ACCOUNT_GATE = _gate("acc|konto|compte|cuenta|conto|rekening")
_ADDRESS_GATE = _gate(
    "address|ship|deliver|adres|anschrift|direcci|indirizzo|endereço|domicil|live"
    "|wohne|woon|habite|vivo"
)


def personal_rules() -> tuple[Rule, ...]:
    """``(kind, pattern, decide, gate)`` in order; a decision reads the text as the rule runs
    on it (the match's ``string``).

    A rule runs only when its cheap ``gate`` (if any) finds one of its words.
    """
    return _PERSONAL_RULES


_PERSONAL_RULES: tuple[Rule, ...] = (
    (
        "email",
        _OBFUSCATED_EMAIL,
        lambda m: obfuscated_email(m, m.string),
        _AT_GATE,
    ),
    (
        "dob",
        _DOB,
        lambda m: m.group(1) + "[DOB]",
        _DOB_GATE,
    ),
    (
        "national_id",
        _ID_LABELLED,
        id_labelled,
        _ID_GATE,
    ),
    ("national_id", _NINO, lambda m: "[ID_NUMBER]", None),
    (
        "bank_account",
        _BANK_ACCOUNT,
        bank_account,
        _BANK_GATE,
    ),
    (
        "bank_account",
        _PLAIN_ACCOUNT,
        lambda m: plain_account(m, m.string),
        _PLAIN_ACCOUNT_GATE,
    ),
    (
        "address",
        _ADDRESS_LABEL,
        lambda m: address_label(m, m.string),
        _ADDRESS_GATE,
    ),
    ("address", _STREET, lambda m: "[ADDRESS]", None),
    ("address", _POSTCODE_LINE, postcode_line, None),
)
