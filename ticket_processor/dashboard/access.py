"""Who may see the dashboard and who may write through it.

The rules, in order:

- read-only and on loopback by default: no sign-in, no write route at all;
- ``--host`` beyond loopback without ``TICKETBOT_DASHBOARD_TOKEN`` is refused before listening
  (``check_listen``: a configuration error, exit 2), and so is the review queue without a way
  to sign in (a token, or a reverse proxy's header);
- beyond loopback, with the review queue on, or wherever a token is set (the token says the
  dashboard is not for everyone on this machine: its pages, live updates and rating form alike),
  every request is signed in: the token as
  ``Authorization: Bearer``, or a session cookie the login form sets after checking the token
  (HttpOnly, SameSite=Strict; only an HMAC of a random session id, never the token), or — when
  ``TICKETBOT_DASHBOARD_PROXY_HEADER`` says so — the user a reverse proxy names in that header;
- every write carries the CSRF token of its sign-in (an HMAC of the session, compared in
  constant time) and comes from the dashboard's own origin (``Origin``, else ``Referer``); a
  bearer client that sends neither is not a browser and is let through on its token;
- on loopback without a sign-in, the ``Host`` must be a loopback name, so a page elsewhere
  cannot reach it through DNS rebinding.

Pure except for the random session ids.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ConfigError

SESSION_COOKIE = "ticketbot_dashboard"
SESSION_SECONDS = 12 * 3600
# A token shorter than this is refused: nothing slows down guesses at the login form.
MIN_TOKEN = 16
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def is_loopback(host: str) -> bool:
    """``host`` (a name or an address, IPv6 with or without brackets) stays on this machine."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_listen(host: str, *, token: str | None, proxy_header: str | None, review: bool) -> None:
    """Refuse, before anything listens, what the rules above do not allow."""
    if token is not None and len(token) < MIN_TOKEN:
        raise ConfigError(
            f"TICKETBOT_DASHBOARD_TOKEN is {len(token)} characters: use at least {MIN_TOKEN} "
            "random ones (`python -c 'import secrets; print(secrets.token_urlsafe(32))'`); "
            "the login form tries any guess it is given"
        )
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} reaches beyond this machine: set TICKETBOT_DASHBOARD_TOKEN (a long "
            "random value: `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) so "
            "every request signs in, or keep the default --host 127.0.0.1"
        )
    if review and not (token or proxy_header):
        raise ConfigError(
            "--review writes to the helpdesk: set TICKETBOT_DASHBOARD_TOKEN (or "
            "TICKETBOT_DASHBOARD_PROXY_HEADER behind a signing-in proxy) so only a signed-in "
            "lead can accept or correct"
        )


@dataclass(frozen=True)
class Identity:
    """Who a request is: ``kind`` bearer, session, proxy or anonymous (loopback, read-only)."""

    kind: str
    name: str
    session: str = ""  # what the CSRF token is bound to

    @property
    def signed_in(self) -> bool:
        return self.kind != "anonymous"


ANONYMOUS = Identity("anonymous", "")


class Access:
    """The dashboard's access rules for one server (see the module's docstring)."""

    def __init__(
        self,
        *,
        token: str | None,
        proxy_header: str | None = None,
        review: bool = False,
        loopback: bool = True,
        secret: bytes | None = None,
    ) -> None:
        self.token = token or None
        self.proxy_header = (proxy_header or "").strip().lower() or None
        self.review = review
        self.loopback = loopback
        # Signs sessions and CSRF tokens; a fresh one per server start (sessions end with it).
        self._secret = secret or secrets.token_bytes(32)

    @property
    def sign_in_required(self) -> bool:
        return not self.loopback or self.review or self.token is not None

    @property
    def can_sign_in(self) -> bool:
        return self.token is not None

    def _sign(self, *parts: str) -> str:
        message = "\x00".join(parts).encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def token_matches(self, given: str) -> bool:
        if self.token is None or not given:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def new_session(self) -> str:
        """A cookie value: a random id and its signature (the token never leaves the server)."""
        session = secrets.token_urlsafe(24)
        return f"{session}.{self._sign('session', session)}"

    def identify(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Identity | None:
        """Who signed in; ANONYMOUS when no sign-in is needed and none is given; None when a
        sign-in is needed and missing or wrong."""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return Identity("bearer", "lead", "bearer") if self.token_matches(auth[7:]) else None
        cookie = cookies.get(SESSION_COOKIE, "")
        session, _, signature = cookie.partition(".")
        if session and hmac.compare_digest(signature, self._sign("session", session)):
            return Identity("session", "lead", f"session:{session}")
        if self.proxy_header:
            user = headers.get(self.proxy_header, "").strip()
            if user:
                return Identity("proxy", user, f"proxy:{user}")
        return None if self.sign_in_required else ANONYMOUS

    def csrf_token(self, identity: Identity) -> str:
        return self._sign("csrf", identity.session) if identity.signed_in else ""

    def csrf_ok(self, identity: Identity, given: str) -> bool:
        if not identity.signed_in or not given:
            return False
        # Bytes, not str: compare_digest refuses a str with a non-ASCII character (a TypeError,
        # a 500) where a forged value is simply wrong.
        return hmac.compare_digest(given.encode("utf-8"), self.csrf_token(identity).encode())

    def host_ok(self, host_header: str) -> bool:
        """On loopback without sign-in, only a loopback ``Host`` (no DNS rebinding)."""
        if self.sign_in_required:
            return True
        name = urlsplit(f"//{host_header}").hostname or ""
        return is_loopback(name)


def same_origin(headers: Mapping[str, str], identity: Identity) -> bool:
    """A write comes from the dashboard's own pages: its ``Origin`` (else ``Referer``) names
    the host the request was sent to. A bearer client may send neither (not a browser)."""
    host = headers.get("host", "")
    sent = headers.get("origin") or headers.get("referer")
    if not sent:
        return identity.kind == "bearer"
    if sent == "null":
        return False
    parts = urlsplit(sent)
    # The scheme is not compared: a proxy that ends TLS sends http on to us.
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()
