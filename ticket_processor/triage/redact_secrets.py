"""Credentials in ticket text: API keys and tokens, passwords, PINs, private keys.

Part of ``redact``: each ``(pattern, decide)`` pair in ``SECRET_RULES`` replaces what it finds
with ``[SECRET]`` (the decider may refuse a match by returning None). Two kinds of evidence:

* the **shape** of a vendor token (``ghp_``, ``xoxb-``, ``sk_live_``, ``AKIA``, a JWT, a
  private-key block), which no ordinary word has;
* a **label** (``aws_secret_access_key =``, ``password:``, ``my password is``, ``PIN``,
  ``Authorization: Basic``), after which the value is checked: a credential has digits, mixed
  case or symbols, while prose after a label ("password: forgotten", "my password is not
  accepted", "token: expired") is a word from ``_PROSE`` and stays, because triage needs it.

Every quantifier is bounded and no two alternatives overlap ambiguously, so time is linear.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from .redact_search import Look, NonSpaceRun

SECRET = "[SECRET]"  # noqa: S105 - the placeholder, not a password
Decide = Callable[[re.Match[str]], str | None]

# Tokens whose shape alone says "credential": vendor prefixes with long random tails.
_VENDOR_SECRET = re.compile(
    r"(?<![\w-])(?:"
    r"sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,200}"  # OpenAI / Anthropic style
    r"|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,200}"  # Stripe
    # Stripe's shape taken up by others: a short prefix, the environment, a long random tail
    # (``ak_live_9f8e...``, ``key_prod_...``); the tail must mix letters and digits.
    r"|[a-z]{2,8}_(?:live|test|prod|sandbox)_(?=[A-Za-z]{0,199}\d)(?=\d{0,199}[A-Za-z])"
    r"[A-Za-z0-9]{16,200}"
    r"|whsec_[A-Za-z0-9]{24,200}"  # Stripe webhook signing secret
    r"|gh[pousr]_[A-Za-z0-9]{30,200}"  # GitHub
    r"|github_pat_[A-Za-z0-9_]{40,200}"
    r"|glpat-[A-Za-z0-9_-]{20,200}"  # GitLab
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}"  # AWS key ids
    r"|xox[abposre]-[A-Za-z0-9-]{10,200}"  # Slack
    r"|xapp-\d-[A-Za-z0-9-]{10,200}"
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API key
    r"|ya29\.[0-9A-Za-z_-]{20,400}"  # Google OAuth access token
    r"|SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"  # SendGrid
    r"|SK[0-9a-f]{32}"  # Twilio API key
    r"|npm_[A-Za-z0-9]{36}"  # npm
    r"|pypi-[A-Za-z0-9_-]{50,300}"  # PyPI
    r"|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"  # Shopify
    r"|eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,2000}"  # JWT
    r")(?![\w-])"
)

# Incoming-webhook URLs carry their secret in the path.
_WEBHOOK_URL = re.compile(
    r"https://(?:hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,200}"
    r"|[a-z0-9.-]{1,100}\.webhook\.office\.com/[A-Za-z0-9/@._-]{20,400}"
    r"|discord(?:app)?\.com/api/webhooks/[A-Za-z0-9/_-]{20,200})"
)

_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z]{2,10} ){0,2}PRIVATE KEY-----[A-Za-z0-9+/=\s:,-]{0,10000}?"
    r"-----END (?:[A-Z]{2,10} ){0,2}PRIVATE KEY-----"
)

_PROSE_SEPARATOR = r"\s(?:is|was|is now|lautet|ist|est|es)\s{1,3}[:]?\s{0,3}[\"'“‘]?"
_PROSE_SEPARATOR_END = re.compile(rf"(?i){_PROSE_SEPARATOR}$")

# A value after a credential-ish key: ``aws_secret_access_key = ...``, ``x-api-key: ...``.
# The key may carry prefixes (``aws_``, ``STRIPE_``, ``db-``): ``(?:\w{1,20}[_-]){0,4}``.
_KEYED_SECRET = re.compile(
    r"(?i)(?<![\w-])("
    r"(?:[a-z0-9]{1,20}[_-]){0,4}"
    r"(?:api[_ -]?key|apikey|access[_ -]?key(?:[_ -]?id)?|secret[_ -]?access[_ -]?key"
    r"|secret(?:[_ -]?key)?|client[_ -]?secret|private[_ -]?key|signing[_ -]?key"
    r"|(?:access|auth|api|refresh|bearer|session|security)?[_ -]?token|credentials?"
    r"|password|passwd|pwd|pass)"
    r"(?:[\"']?\s{0,3}[:=]\s{0,3}[\"']?"
    # In prose: "our API key is ...", "der Token lautet ...", "le token est ...".
    rf"|{_PROSE_SEPARATOR})"
    r"|bearer\s{1,3}"
    r")([A-Za-z0-9+/=_.~!@#$%^&*-]{6,400})"
)

# Words that follow "password:" or "my password is" in prose, not credentials.
_PROSE_WORDS = """
    not no wrong incorrect invalid expired correct right too very being been still now reset
    forgotten forgot lost missing required needed needs the a an my your his her our their
    ok okay fine broken blocked locked changed same different empty blank rejected accepted
    working weak strong short long case and or for of in on at to with field that this it
    also always never only just set saved stored shown hidden visible displayed sent asked
    requested updated new old unknown none null n/a na mandatory optional rejected denied
    failing failed fails change changing please help here there is was are were does doesn't
    isn't wasn't won't can't cannot didn't recovery manager policy protected complex secure
    resetting expiring expires requirements rules length complexity history hint strength
    reuse reused compromised leaked stolen hacked
"""
_PROSE = frozenset(_PROSE_WORDS.split())


def _mixed(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _keyed_secret(match: re.Match[str]) -> str | None:
    key, value = match.group(1), match.group(2).rstrip(".,;:!)")
    rest = match.group(2)[len(value) :]
    lowered = _PROSE_SEPARATOR_END.sub("", key).lower().strip("\"' :=")
    if lowered.startswith("bearer"):
        ok = len(value) >= 16 and _mixed(value)
    elif lowered.endswith(("password", "passwd", "pwd", "pass")):
        ok = len(value) >= 4 and value.lower() not in _PROSE and not _MASKED.fullmatch(value)
    else:
        # A plain word after "token:" is prose ("token: expired"); a key is long or mixed.
        ok = (len(value) >= 12 and _mixed(value)) or (len(value) >= 24 and value.isalnum())
    return key + SECRET + rest if ok else None


# ``Authorization: Basic <base64 of user:password>``: checked by decoding.
_BASIC = re.compile(r"(?i)\b(basic\s{1,3})([A-Za-z0-9+/]{6,400}={0,2})(?![\w+/=])")


def _basic(match: re.Match[str]) -> str | None:
    encoded = match.group(2)
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return match.group(1) + SECRET if b":" in decoded else None


# Passwords, passcodes and PINs in prose: "my password is hunter22", "das Passwort lautet X".
_PASSWORD_PHRASE = re.compile(
    r"(?i)\b((?:my |the |our |new |old |temporary |temp |current )?"
    r"(?:password|passwort|passwd|pass ?word|pass ?code|pass ?phrase|mot de passe|contraseña"
    r"|wachtwoord|senha|kennwort|pw)"
    r"(?: (?:is|was|would be|will be|lautet|ist|est|es|is now|is still|was set to|set to))"
    r"[:]?\s{1,3}[\"'“‘]?)([^\s\"'”’]{3,64})"
)


def _password_phrase(match: re.Match[str]) -> str | None:
    value = match.group(2).rstrip(".,;:!?)")
    rest = match.group(2)[len(value) :]
    if len(value) < 4 or value.lower() in _PROSE or value.startswith("["):
        return None
    return match.group(1) + SECRET + rest


# "password admin123": no "is", no colon, but a value with letters and digits.
_PASSWORD_BARE = re.compile(
    r"(?i)\b((?:password|passwort|passwd|pwd)\s{1,3})"
    r"(?=[^\s\"']{0,63}\d)(?=[^\s\"']{0,63}[a-z])([^\s\"']{6,64})"
)
# A value shown masked ("******", "•••••") is no secret.
_MASKED = re.compile(r"[*•x·.]+", re.IGNORECASE)

# A PIN, passcode, CVV or one-time code: digits after the label.
_PIN = re.compile(
    r"(?i)\b((?:pin|pin code|pin number|passcode|pass code|security code|cvv2?|cvc2?|csc"
    r"|verification code|one[- ]time (?:code|password)|otp|2fa code|sms code)"
    r"(?: (?:is|was|number|no\.?|ist|lautet))?\s{0,3}[:=#]?\s{0,3})(\d{3,8})(?!\d)"
)

# An AWS secret access key on its own: exactly 40 base64 characters with all of upper case,
# lower case and digits (a git SHA is hex; tracking numbers and ids are upper case). Not
# inside a URL, where such a run is a path segment.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def _aws_secret(match: re.Match[str], text: str) -> str | None:
    value = match.group(0)
    if not (
        any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
    ):
        return None
    start = match.start()
    run_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    if "://" in text[run_start:start]:
        return None
    return SECRET


# Cheap first looks, as ``redact_numbers.NEEDED``: a vendor's key is at least fifteen characters
# without a space (``xoxb-`` and ten), an AWS secret forty. Both patterns open with a
# look-behind, so the regex engine tried them at every place of every text; most tickets have
# no word that long.
NEEDED: dict[re.Pattern[str], Look] = {
    _VENDOR_SECRET: NonSpaceRun(15),
    _AWS_SECRET: NonSpaceRun(40),
}


def _gate(words: str) -> tuple[str, ...]:
    """Lower-case words, any of which must occur in the (lower-cased) text for a rule to run."""
    return tuple(words.split("|"))


Rule = tuple[re.Pattern[str], Decide, tuple[str, ...] | None]

# The rules' gates, made once: a gate made for every text cost its split and its lookup.
_BASIC_GATE = _gate("basic")
_KEYED_GATE = _gate("key|secret|token|pass|pwd|credential|bearer")
_PASSWORD_GATE = _gate("pass|pw|mot de|contrase|wachtw|senha|kennw")
_PASSWORD_BARE_GATE = _gate("pass|pwd")
_PIN_GATE = _gate("pin|code|cvv|cvc|csc|otp")


def secret_rules() -> tuple[Rule, ...]:
    """``(pattern, decide, gate)`` in order; a decision reads the text as the rule runs on it
    (the match's ``string``).

    A rule anchored on a label runs only when its cheap ``gate`` finds a label word: the
    case-insensitive alternations cost most, and most tickets carry none of their words.
    """
    return _SECRET_RULES


_SECRET_RULES: tuple[Rule, ...] = (
    (_PRIVATE_KEY, lambda m: SECRET, None),
    (_WEBHOOK_URL, lambda m: SECRET, None),
    (_VENDOR_SECRET, lambda m: SECRET, None),
    (_BASIC, _basic, _BASIC_GATE),
    (_KEYED_SECRET, _keyed_secret, _KEYED_GATE),
    (_PASSWORD_PHRASE, _password_phrase, _PASSWORD_GATE),
    (_PASSWORD_BARE, _password_phrase, _PASSWORD_BARE_GATE),
    (_PIN, lambda m: m.group(1) + SECRET, _PIN_GATE),
    (_AWS_SECRET, lambda m: _aws_secret(m, m.string), None),
)
