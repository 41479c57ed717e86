"""The one secret scrubber: every text that leaves the process passes through a ``Scrubber``.

The JSON-lines log, the CLI's error lines, ``health`` (table and ``--json``), alerts, the
Zendesk transport's and the LLM client's quotes of a server's error body all mask secrets
here, so they cannot drift apart.

Two rules keep the mask from doing harm:

* **Values, never structure.** Only string values are scrubbed; the keys of a mapping are the
  log's field names, and masking inside them (``"***icke***_***riaged"``) breaks every reader.
* **Only strings long enough to be secrets** (``MIN_SECRET_LENGTH`` = 8). A shorter "secret"
  (``ZENDESK_API_TOKEN=t``, a dummy ``OPENAI_API_KEY=e`` for Ollama) also occurs by chance in
  ordinary words and numbers, so masking it garbles the output and hides nothing worth hiding;
  real credentials are 20 to 60 characters (a Zendesk token is 40). Such a setting is reported
  as a configuration warning instead (``short_secret_warnings``). Eight characters is the
  shortest length at which a chance occurrence in a log line is implausible (Zendesk's and the
  sandbox's sample tokens are longer), while test tokens such as ``sandbox-token`` stay masked.

Besides the plain value, each secret is masked in the forms an echoing server sends back: URL
encoded, and base64, whether alone or inside a basic-auth pair (``email/token:TOKEN``). A
base64 string that contains the secret after an unknown prefix (the email) still contains one
of three fixed "cores" of it (one per alignment modulo 3), so the cores are masked too. And
credentials inside any URL (``https://user:pass@host``) are masked whatever their length, as
are the values of secret-looking query parameters (``?api-key=...``, ``&sig=...``: a name in
``SECRET_PARAMS`` or containing one of ``SECRET_PARAM_PARTS``) in any text. A URL setting's
userinfo and secret query values are secrets of the configuration too (``url_credentials``),
so an endpoint that echoes one without its URL is masked as well.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

from .timespec import format_ts

MASK = "***"
MIN_SECRET_LENGTH = 8

# ``scheme://userinfo@``: the userinfo is a credential whatever it looks like.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,15}://)[^\s/?#@\"'<>]{1,512}@")
# Query parameters whose value is a credential: these names, and any name containing a part.
SECRET_PARAMS = frozenset(
    {"api-key", "api_key", "key", "token", "access_token", "sig", "signature", "password",
     "secret", "code"}
)  # fmt: skip
SECRET_PARAM_PARTS = ("key", "token", "secret", "sig", "pass", "auth")
# ``?name=value`` or ``&name=value`` anywhere in a text; the value ends where a URL would.
_QUERY_PARAM = re.compile(r"([?&;]([A-Za-z0-9_.\-\[\]]{1,64})=)([^&#\s\"'<>]*)")


def secret_param(name: str) -> bool:
    """Whether a query parameter called ``name`` carries a credential."""
    folded = name.casefold()
    return folded in SECRET_PARAMS or any(part in folded for part in SECRET_PARAM_PARTS)


# Punctuation that ends a sentence after a URL ("... at http://x?api-key=K: check ..."): left out
# of the value masked, as link finders leave it out of a link, so the sentence stays readable.
# A secret that really ends in one is masked whole anyway: the scrubber knows its exact value.
_TRAILING = ":,.;)!"


def _mask_params(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        value = match.group(3)
        if not value or not secret_param(match.group(2)):
            return match.group(0)
        kept = value.rstrip(_TRAILING)
        return match.group(1) + MASK + value[len(kept) :] if kept else match.group(0)

    return _QUERY_PARAM.sub(mask, text)


def mask_query(url: str) -> str:
    """``url`` with the values of its secret-looking query parameters masked (its userinfo as
    it is)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    return urlunsplit(parts._replace(query=_mask_params("?" + parts.query)[1:]))


def display_url(url: str) -> str:
    """``url`` without its ``user:password@`` part and with the values of its secret-looking
    query parameters masked, for messages, logs, ``config`` and ``health``."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[1] if "@" in parts.netloc else parts.netloc
    query = _mask_params("?" + parts.query)[1:] if parts.query else parts.query
    if host == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, host, parts.path, query, parts.fragment))


def url_credentials(url: str | None) -> tuple[str, ...]:
    """The secrets in ``url``: its userinfo (``user:password`` and the password alone) and the
    values of its secret-looking query parameters."""
    if not url:
        return ()
    parts = urlsplit(url)
    found: list[str] = []
    if "@" in parts.netloc:
        found += [parts.netloc.rsplit("@", 1)[0], parts.password or ""]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if secret_param(k)]
    return tuple(dict.fromkeys(value for value in found if value))


def _base64_cores(secret: bytes) -> set[str]:
    """The base64 characters determined by ``secret`` alone, at each of the 3 alignments.

    Whatever precedes the secret in the encoded bytes (``email/token:``), one of these
    substrings is in the encoding: masking them hides the secret inside any base64 text.
    """
    cores = set()
    bits = 8 * len(secret)
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode("ascii")
        first = -(-8 * offset // 6)  # the first character starting inside the secret
        last = (8 * offset + bits) // 6  # one past the last character ending inside it
        core = encoded[first:last]
        if len(core) >= MIN_SECRET_LENGTH:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))  # the URL-safe alphabet
    return cores


def secret_forms(secret: str, *, identities: Iterable[str] = ()) -> set[str]:
    """The texts that give ``secret`` away: itself, URL-encoded, base64 (alone and in pairs)."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    raw = secret.encode("utf-8")
    forms = {secret, quote(secret, safe=""), quote_plus(secret), base64.b64encode(raw).decode()}
    forms |= _base64_cores(raw)
    for identity in identities:
        # Zendesk's basic auth is ``email/token:TOKEN``; plain basic auth is ``user:password``.
        for pair in (f"{identity}/token:{secret}", f"{identity}:{secret}"):
            forms.add(base64.b64encode(pair.encode("utf-8")).decode("ascii"))
    return forms


class Scrubber:
    """Masks secrets in text and in the string values of JSON-like data.

    ``secrets`` shorter than ``MIN_SECRET_LENGTH`` are ignored (see the module docstring);
    ``identities`` (the Zendesk email) let the exact basic-auth encodings be masked whole.
    """

    def __init__(self, secrets: Iterable[str] = (), *, identities: Iterable[str] = ()) -> None:
        who = tuple(i for i in identities if i)
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= secret_forms(secret, identities=who)
        # Longest first, so a form that contains another is masked whole.
        self.forms = tuple(sorted(forms, key=lambda f: (-len(f), f)))
        self._pattern = re.compile("|".join(map(re.escape, self.forms))) if self.forms else None
        # A text shorter than every form holds none: most of a log line's values (tags, codes,
        # names of things) are not searched at all.
        self._shortest = min(map(len, self.forms), default=0)

    def text(self, value: str) -> str:
        """``value`` with URL credentials, secret query values and every form of every secret
        masked."""
        if "://" in value:
            value = _URL_USERINFO.sub(lambda m: m.group(1) + MASK + "@", value)
        if "=" in value:
            value = _mask_params(value)
        if self._pattern is not None and len(value) >= self._shortest:
            value = self._pattern.sub(MASK, value)
        return value

    def __call__(self, value: Any) -> Any:
        """Scrub a JSON-like value: strings are masked, keys and other types are kept."""
        if isinstance(value, str):
            return self.text(str(value))  # str() also turns a StrEnum into plain text
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {str(key): self(item) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self(item) for item in value]
        if isinstance(value, datetime):
            return format_ts(value)
        if isinstance(value, date):
            return value.isoformat()
        # Paths, exceptions, models...: their text, scrubbed (an exception message may echo a
        # URL with a token in it).
        return self.text(str(value))


def short_secret_warnings(named: Mapping[str, str | None]) -> list[str]:
    """One warning per configured secret too short to be masked (``{VARIABLE: value}``)."""
    return [
        f"{name} is shorter than {MIN_SECRET_LENGTH} characters, so it is not masked in logs "
        "and output (masking so short a value would garble them): use a real credential"
        for name, value in named.items()
        if value and len(value) < MIN_SECRET_LENGTH
    ]
