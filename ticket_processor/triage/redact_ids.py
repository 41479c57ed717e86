"""Personal identifiers with a checksum or a fixed shape, and digits in every script. Part of
``redact``.

Digits are matched in whatever script they were typed (Arabic-Indic ``٤١١١``, Devanagari
``४१११``, full-width ``４１１１``): ``fold_digits`` makes a copy with ASCII digits (one character
for one, so positions agree), ``redact`` matches on the copy and ``unfold`` puts the original
characters back wherever the copy was kept, so harmless text in other scripts reaches the LLM
as written and only what was replaced is gone.

What is found here, each checked where a checksum exists so that order numbers, versions and
amounts stay: public IP addresses (v4 and v6; private, loopback and link-local ones name no
person and stay), Bitcoin addresses (base58check, bech32 checksum) and Ethereum addresses
(``0x`` and exactly 40 hex digits), the German tax id (Steuer-IdNr: 11 digits, ISO 7064 check
digit and its digit pattern) and passport number (its alphabet), the French social-security
number (NIR: 13 digits and the 97-complement key), the Spanish DNI and NIE (the letter checks
the number), a UK sort code with its account number (also after a labelled sort code was
replaced), a phone's extension after a redacted phone, and the postcode after a redacted
street. A number right after a word that names what it is (order, invoice, model, ...) is
that, not an id.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Callable

Decide = Callable[[re.Match[str]], str | None]
Rule = tuple[str, re.Pattern[str], Decide, tuple[str, ...] | None]

# --- digits in every script -------------------------------------------------------------


# Dashes and spaces of other scripts, as a phone or an account number is typed with them: the
# Japanese long-vowel mark (０９０ー１２３４), hyphens and minus signs; no-break and thin spaces;
# the invisible direction and joining marks right-to-left text carries between digit groups.
_AS_DASH = frozenset("\u2010\u2011\u2012\u2013\u2014\u2212\u30fc\uff70\ufe63")
_AS_SPACE = frozenset(
    "\u00a0\u2007\u2009\u202f\u3000\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"
)


def _fold_char(char: str) -> str:
    if char < "\x80":
        return char
    if "\uff01" <= char <= "\uff5e":  # full-width ASCII: ＠ ＋ － and the letters as well
        return chr(ord(char) - 0xFEE0)
    if char in _AS_DASH:
        return "-"
    if char in _AS_SPACE:
        return " "
    digit = unicodedata.decimal(char, None)
    return str(digit) if digit is not None else char


def fold_digits(text: str) -> str:
    """``text`` with every decimal digit as ASCII (and full-width ASCII as ASCII, other
    scripts' dashes as ``-``, their spaces and invisible marks as a space), one character for
    one: a copy to match on."""
    if text.isascii():
        return text
    # Only the runs of other characters are folded, each by a dictionary of those seen: a
    # German or Polish ticket has a few accented letters among hundreds of ASCII ones.
    return _NOT_ASCII.sub(_fold_run, text)


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")
# What each character other than ASCII folds to, kept as they come: a few hundred in
# practice, and no more than ``_FOLDED_KEPT`` whatever a hostile text holds.
_FOLDED: dict[str, str] = {}
_FOLDED_KEPT = 4096


def _fold_run(match: re.Match[str]) -> str:
    return "".join(map(_fold_kept, match.group(0)))


def _fold_kept(char: str) -> str:
    found = _FOLDED.get(char)
    if found is None:
        found = _fold_char(char)
        if len(_FOLDED) < _FOLDED_KEPT:
            _FOLDED[char] = found
    return found


_PLACEHOLDER = re.compile(
    r"\[(?:EMAIL|PHONE|CARD|IBAN|SSN|SECRET|DOB|ADDRESS|ID_NUMBER|ACCOUNT|IP|WALLET|MAC)\]"
)


def unfold(redacted: str, folded: str, original: str) -> str:
    """``redacted`` (from ``folded``) with the original characters wherever the folded copy
    was kept: each run of text between two placeholders is found in ``folded`` after the last
    one, and written as ``original`` has it there. Should a run not be found (a rule that
    rewrote text rather than replacing it), the folded result is returned: it never holds more
    than the original did."""
    pieces: list[str] = []
    at = 0
    last = 0
    for match in [*_PLACEHOLDER.finditer(redacted), None]:
        end = match.start() if match else len(redacted)
        kept = redacted[last:end]
        where = folded.find(kept, at)
        if where < 0:
            return redacted
        pieces.append(original[where : where + len(kept)])
        at = where + len(kept)
        if match is not None:
            pieces.append(match.group(0))
            last = match.end()
    return "".join(pieces)


# --- IP addresses -----------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])({_OCTET}(?:\.{_OCTET}){{3}})(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])((?:[0-9A-Fa-f]{1,4}:|::?){2,8}(?:[0-9A-Fa-f]{1,4}|:)?)(?:/\d{1,3})?(?![\w:])"
)
_NOT_IP_CONTEXT = re.compile(r"(?i)(?:version|ver\.?|v|build|release|firmware|os)\s?$")


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_multicast
    ) or str(address).startswith(("192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:"))


def _ipv4(match: re.Match[str], text: str) -> str | None:
    if _NOT_IP_CONTEXT.search(text[max(0, match.start() - 12) : match.start()]):
        return None
    return "[IP]" if _public(ipaddress.IPv4Address(match.group(1))) else None


def _ipv6(match: re.Match[str]) -> str | None:
    raw = match.group(1)
    if raw.count(":") < 2:
        return None
    try:
        address = ipaddress.IPv6Address(raw)
    except ValueError:
        return None  # a MAC address, a time, a Rust path: not an address
    return "[IP]" if _public(address) else None


# --- crypto wallets ---------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BTC_BASE58 = re.compile(r"(?<![\w])([13][1-9A-HJ-NP-Za-km-z]{25,34})(?![\w])")
_BTC_BECH32 = re.compile(r"(?i)(?<![\w])(bc1[ac-hj-np-z02-9]{11,71})(?![\w])")
_ETH = re.compile(r"(?<![\w])0x[0-9a-fA-F]{40}(?![\w])")
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _base58check(text: str) -> bool:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    raw = number.to_bytes(25, "big") if number.bit_length() <= 200 else b""
    if len(raw) != 25:
        return False
    digest = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()
    return digest[:4] == raw[-4:]


def _bech32(text: str) -> bool:
    lowered = text.lower()
    if lowered != text and text.upper() != text:
        return False  # mixed case is not bech32
    hrp, _, data = lowered.rpartition("1")
    values = [_BECH32.index(c) for c in data]
    generators = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(generators):
            check ^= generator if (top >> bit) & 1 else 0
    return check in (1, 0x2BC830A3)  # bech32, bech32m


# --- national identity numbers ----------------------------------------------------------

_STEUER_ID = re.compile(r"(?<![\w.,/=-])([1-9]\d(?: ?\d{3}){3})(?![\w.,/-]?\d)")
_NIR = re.compile(
    r"(?<![\w.,/=-])([12378] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}"
    r" ?(?:0[1-9]|[1-8]\d|9[0-7]))(?![\w.,/-]?\d)"
)
# German passport (and ID card) numbers since 2007: C, F, G, H, J or K, then eight of the
# letters and digits the Bundesdruckerei uses (no vowels, no B, D, Q, S), at least one letter
# and four digits among them: no version, hash or SKU has that alphabet.
_DE_PASSPORT = re.compile(r"(?<![\w-])([CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8})(?![\w-])")
_DNI = re.compile(r"(?i)(?<![\w.,/-])([XYZ]?\d{7,8})[ -]?([A-Z])(?![\w-])")
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_SORT_CODE = re.compile(
    r"(?i)(?<![\w-])(\d{2}-\d{2}-\d{2})((?:[ ,;/]{1,3}(?:acc(?:oun)?t|a/c)?(?: no\.?| number)?"
    r"[ :#]{0,3}))(\d{8})(?!\d)"
)
_NOT_ID_CONTEXT = re.compile(
    r"(?i)(?:order|invoice|ticket|case|ref(?:erence)?|sku|serial|tracking|transaction"
    r"|confirmation|customer|booking|shipment|parcel|po|build|version|account|timestamp|ts"
    r"|model|part|product|item|device|firmware|licen[cs]e|key|imei)"
    r"\b(?:\s?(?:number|no\.?|nr\.?|id))?[ #:=.]{0,4}$"
)


def _steuer_id_valid(digits: str) -> bool:
    """ISO 7064 MOD 11,10 check digit, and the digit pattern of the first ten (one digit
    twice or three times, the others at most once)."""
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] > 1):
        return False
    product = 10
    for char in digits[:10]:
        total = (int(char) + product) % 10 or 10
        product = (total * 2) % 11
    check = (11 - product) % 10
    return check == int(digits[10])


def _nir_valid(compact: str) -> bool:
    body = compact[:13].upper().replace("2A", "19").replace("2B", "18")
    return len(compact) == 15 and body.isdigit() and 97 - int(body) % 97 == int(compact[13:])


def _dni_valid(number: str, letter: str) -> bool:
    number = number.upper()
    if number[0] in "XYZ":
        number = str("XYZ".index(number[0])) + number[1:]
        if len(number) != 8:
            return False
    elif len(number) != 8:
        return False
    return _DNI_LETTERS[int(number) % 23] == letter.upper()


def _de_passport_shape(number: str) -> bool:
    rest = number[1:]
    return sum(c.isdigit() for c in rest) >= 4 and any(c.isalpha() for c in rest)


def _quiet_before(match: re.Match[str], text: str) -> bool:
    return _NOT_ID_CONTEXT.search(text[max(0, match.start() - 30) : match.start()]) is None


# --- after another placeholder: an extension, a postcode --------------------------------

_EXTENSION = re.compile(
    r"(?i)\[PHONE\]([ ,;]{0,3}(?:\(\s?)?(?:ext\.?|extension|x|#|durchwahl|dw\.?|poste|ext)"
    r"[ .:]{0,3}\d{1,6}\)?|-\d{1,5}(?![\w.-]))"
)
# The account number after a sort code that a labelled rule already replaced.
_ACCOUNT_AFTER = re.compile(
    r"(?i)\[ACCOUNT\]((?:[ ,;/]{1,3}(?:acc(?:oun)?t|a/c)?(?: no\.?| number)?[ :#]{0,3}))"
    r"(\d{8})(?!\d)"
)
_POSTCODE = re.compile(
    r"\[ADDRESS\]([,;]?[ \t]{0,3}\n?[ \t]{0,3}(?:[A-Z][\w'.-]{1,30}(?: [A-Z][\w'.-]{1,30}){0,2},?"
    r"[ \t]{1,3})?(?:[A-Z]{2}[ \t]{1,2})?)"
    r"(\d{4} ?[A-Z]{2}(?![\w-])|\d{4,5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
    r"|[A-Z]\d[A-Z] ?\d[A-Z]\d)(?![\w-])"
)


# Cheap first looks (each starts with a character class, which the regex engine scans for
# fast): a rule whose look finds nothing in the text is left out. Most tickets have no run of
# seven digits and no dotted quad, and the rules' own patterns start with a look-behind,
# which makes the engine try every position.
_DOTTED_QUAD = re.compile(r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]")
_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9]){6}")
_BASE58_RUN = re.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25}")
_PASSPORT_RUN = re.compile(r"[CFGHJK][CFGHJKLMNPRTVWXYZ0-9]{8}")


def id_rules(text: str) -> list[Rule]:
    """``(kind, pattern, decide, gate)`` in order, as ``redact_personal.personal_rules``; only
    the rules whose first look (``_DOTTED_QUAD``, ``_DIGIT_RUN``, ...) finds something in the
    ``text`` as it stands when they are asked for."""
    found = {id(look): look.search(text) is not None for look in _FIRST_LOOKS}
    return [
        rule for rule in _ID_RULES if (look := _LOOKS.get(id(rule[1]))) is None or found[id(look)]
    ]


def _quiet(match: re.Match[str]) -> bool:
    return _quiet_before(match, match.string)


# Each rule's first look, by the pattern's id: a compiled pattern's hash reads all its code,
# which keyed by the pattern cost more than the looks.
_LOOKS = {
    id(_IPV4): _DOTTED_QUAD,
    id(_BTC_BASE58): _BASE58_RUN,
    id(_DE_PASSPORT): _PASSPORT_RUN,
    id(_NIR): _DIGIT_RUN,
    id(_STEUER_ID): _DIGIT_RUN,
    id(_DNI): _DIGIT_RUN,
    id(_SORT_CODE): _DIGIT_RUN,
}
_FIRST_LOOKS = (_DOTTED_QUAD, _BASE58_RUN, _PASSPORT_RUN, _DIGIT_RUN)


_ID_RULES: tuple[Rule, ...] = (
    ("ip", _IPV4, lambda m: _ipv4(m, m.string), (".",)),
    ("ip", _IPV6, _ipv6, ("::", ":")),
    (
        "wallet",
        _BTC_BASE58,
        lambda m: "[WALLET]" if _base58check(m.group(1)) else None,
        None,
    ),
    ("wallet", _BTC_BECH32, lambda m: "[WALLET]" if _bech32(m.group(1)) else None, ("bc1",)),
    ("wallet", _ETH, lambda m: "[WALLET]", ("0x",)),
    (
        "national_id",
        _NIR,
        lambda m: "[ID_NUMBER]" if _nir_valid(m.group(1).replace(" ", "")) else None,
        None,
    ),
    (
        "national_id",
        _STEUER_ID,
        lambda m: (
            "[ID_NUMBER]" if _steuer_id_valid(m.group(1).replace(" ", "")) and _quiet(m) else None
        ),
        None,
    ),
    (
        "national_id",
        _DE_PASSPORT,
        lambda m: "[ID_NUMBER]" if _de_passport_shape(m.group(1)) and _quiet(m) else None,
        None,
    ),
    (
        "national_id",
        _DNI,
        lambda m: "[ID_NUMBER]" if _dni_valid(m.group(1), m.group(2)) and _quiet(m) else None,
        None,
    ),
    ("bank_account", _SORT_CODE, lambda m: "[ACCOUNT]" + m.group(2) + "[ACCOUNT]", ("-",)),
)


def after_rules() -> list[Rule]:
    """What only counts next to a placeholder, the placeholder as the gate: run last."""
    return [
        ("phone", _EXTENSION, lambda m: "[PHONE]", ("[PHONE]",)),
        (
            "bank_account",
            _ACCOUNT_AFTER,
            lambda m: "[ACCOUNT]" + m.group(1) + "[ACCOUNT]",
            ("[ACCOUNT]",),
        ),
        ("address", _POSTCODE, lambda m: "[ADDRESS]" + m.group(1) + "[ADDRESS]", ("[ADDRESS]",)),
    ]
