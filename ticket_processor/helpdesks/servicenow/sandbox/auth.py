"""Who is asking: basic auth (the configured user and password) or an OAuth 2 bearer token
from ``POST /oauth_token.do`` (grants ``password``, ``client_credentials``, ``refresh_token``).

Access tokens live ``token_seconds`` on the sandbox's clock (an expired one is a 401, as on an
instance); refresh tokens do not expire here. A ``client_credentials`` token acts as the API
user, as an instance's OAuth application user would.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from typing import Any
from urllib.parse import parse_qsl

from ....sandbox.httpbase import ApiError
from .config import ServiceNowConfig, not_authenticated


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def oauth_error(status: int, error: str, description: str) -> ApiError:
    """The token endpoint's refusals are OAuth's shape, not the Table API's."""
    return ApiError(status, {"error": error, "error_description": description})


class Authenticator:
    """The credentials the sandbox accepts, and the tokens it has given out."""

    def __init__(self, config: ServiceNowConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}  # token -> (user, expires at)
        self._refresh: dict[str, str] = {}  # token -> user
        self.tokens_issued = 0

    def user_of(self, header: str | None) -> str:
        """The user_name ``header`` (``Authorization``) signs in as, or the 401."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise not_authenticated() from None
            user, _, password = decoded.partition(":")
            if _same(user, self.config.user) and _same(password, self.config.password):
                return user
        elif scheme.lower() == "bearer":
            with self._lock:
                held = self._access.get(value.strip())
            if held is not None and held[1] > self.config.clock():
                return held[0]
        raise not_authenticated()

    def grant(self, raw_form: bytes) -> dict[str, Any]:
        """Answer a token request (a form body), or raise OAuth's 400/401."""
        form = dict(parse_qsl(raw_form.decode("utf-8", "replace"), keep_blank_values=True))
        config = self.config
        grant_type = form.get("grant_type", "")
        if grant_type not in ("password", "client_credentials", "refresh_token"):
            raise oauth_error(400, "unsupported_grant_type", "unsupported grant type")
        if not (
            _same(form.get("client_id", ""), config.client_id)
            and _same(form.get("client_secret", ""), config.client_secret)
        ):
            raise oauth_error(401, "access_denied", "access_denied")
        if grant_type == "password":
            if not (
                _same(form.get("username", ""), config.user)
                and _same(form.get("password", ""), config.password)
            ):
                raise oauth_error(401, "access_denied", "access_denied")
            user = config.user
        elif grant_type == "refresh_token":
            with self._lock:
                found = self._refresh.get(form.get("refresh_token", ""))
            if found is None:
                raise oauth_error(401, "access_denied", "access_denied")
            user = found
        else:
            user = config.user
        return self._issue(user)

    def _issue(self, user: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
        with self._lock:
            self._access[access] = (user, self.config.clock() + self.config.token_seconds)
            self._refresh[refresh] = user
            self.tokens_issued += 1
        return {
            "access_token": access,
            "refresh_token": refresh,
            "scope": "useraccount",
            "token_type": "Bearer",
            "expires_in": self.config.token_seconds,
        }
