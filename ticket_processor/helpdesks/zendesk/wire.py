"""Zendesk on the wire: its auth, status table, error bodies, headers and answer shape.

Everything else (session, retries, pacing, the whole-call deadline, "outcome unknown" for
writes) is the shared ``helpdesks.transport.HelpdeskTransport``; ``ZendeskTransport`` only fills
in what is Zendesk's. Auth is an API token as basic auth ``{email}/token:{token}`` or an OAuth
bearer token; the credentials live in the session's auth object only and never reach a
message, a log line or ``repr``. Messages say how to fix what can be fixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import requests
import requests.auth

from ...errors import (
    AuthError,
    ConflictError,
    HelpdeskError,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
)
from ...resilience.bounds import HELPDESK_MAX_BYTES
from ...resilience.pacing import RateLimitThrottle
from ...resilience.retry import Retrier
from ..transport import HelpdeskTransport
from ..wire import HelpdeskResponse, StatusRule, StatusTable, Wire, names_a_record
from ..write_budget import HelpdeskWriteBudget


class _BearerAuth(requests.auth.AuthBase):
    """OAuth bearer token; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


def describe(body: Any) -> str:
    """Zendesk's error body in one line: ``error: description`` (either may be missing)."""
    if not isinstance(body, Mapping):
        return "no error description"
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        # The newer APIs' envelope (webhooks): {"errors": [{"code", "title", "detail"}]}
        first = errors[0]
        return ": ".join(str(first[k]) for k in ("code", "detail") if first.get(k))
    error = body.get("error")
    if isinstance(error, dict):  # some endpoints nest {"title", "message"}
        error = error.get("title") or error.get("message")
    description = body.get("description")
    parts = [str(p) for p in (error, description) if p]
    return ": ".join(parts) if parts else "no error description"


def details(body: Any) -> dict[str, object] | None:
    """A 422's ``details``: Zendesk's field-by-field reasons (wrapped when not an object)."""
    found = body.get("details") if isinstance(body, Mapping) else None
    if found is not None and not isinstance(found, dict):
        return {"details": found}
    return found


def json_object(answer: HelpdeskResponse, where: str) -> dict[str, Any]:
    """A successful answer's body: a JSON object, or ``{}`` when empty.

    Anything else is a ``HelpdeskServerError``: the server side is not well, try again.
    """
    if answer.body is None:
        return {}
    if not isinstance(answer.body, dict):
        raise HelpdeskServerError(
            f"Zendesk answered {where} with JSON that is not an object",
            status_code=answer.status_code,
            request_id=WIRE.request_id(answer.headers),
        )
    return answer.body


def own_answer(where: str, body: Any) -> bool:
    """Whether an error answer can be Zendesk's: Zendesk words every error in JSON (``error``,
    or the newer APIs' ``errors``), a missing record too (``RecordNotFound``), and so does an
    endpoint it lacks (``InvalidEndpoint``). A 404 without it, on a path that names no record,
    came from another server at the configured address (a web app's page, a proxy)."""
    if isinstance(body, Mapping) and ("error" in body or "errors" in body):
        return True
    return names_a_record(where)


URL_SETTINGS = "ZENDESK_URL / ZENDESK_SUBDOMAIN"
# What a server that is not Zendesk's API makes of a request: where to fix the address.
NOT_ZENDESK = (
    "{host} is not Zendesk's API: it answered {where} with {status} and no Zendesk error; "
    f"check {URL_SETTINGS} (a Zendesk account's API is at https://SUBDOMAIN.zendesk.com)"
)


def statuses(auth_kind: str) -> StatusTable:
    """Zendesk's own words per status; a 401 names the settings of the auth in use; a 404
    that is not Zendesk's and a 501 (Zendesk implements every method it documents) name the
    address and its settings."""
    fix = (
        "check ZENDESK_OAUTH_TOKEN"
        if auth_kind == "oauth"
        else "check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
    )
    return {
        401: StatusRule(AuthError, f"Zendesk rejected the credentials (401): {fix}"),
        403: StatusRule(
            AuthError,
            "Zendesk refused {where} (403: {detail}): the user behind "
            "ZENDESK_EMAIL lacks a permission this needs",
        ),
        404: StatusRule(
            NotFoundError,
            "Zendesk at {host} found nothing at {where} (404: {detail})",
            foreign=NOT_ZENDESK,
        ),
        409: StatusRule(
            ConflictError, "Zendesk refused {where} (409): the record changed since it was read"
        ),
        422: StatusRule(RecordInvalidError, "Zendesk refused {where} (422: {detail})"),
        # Not a server error to wait out: the same request meets the same server.
        501: StatusRule(HelpdeskError, NOT_ZENDESK),
    }


# Zendesk's ticket updates a minute per account (an ``update_many`` job or one ticket's PUT each;
# the adapter's ``WriteLimits``); the shared write budget also keeps below the account's
# announced ``X-Rate-Limit``.
UPDATES_PER_MINUTE = 100


def write_limit(announced: int | None) -> int:
    return UPDATES_PER_MINUTE


WIRE: Wire[dict[str, Any]] = Wire(
    name="Zendesk",
    url_settings=URL_SETTINGS,
    statuses=statuses("api_token"),
    describe=describe,
    details=details,
    shape=json_object,
    rate_limit_headers=("X-Rate-Limit", "X-Rate-Limit-Remaining"),
    request_id_headers=("X-Request-Id", "X-Zendesk-Request-Id"),
    write_limit=write_limit,
    own_answer=own_answer,
)


class ZendeskTransport(HelpdeskTransport[dict[str, Any]]):
    """The shared transport with Zendesk's auth and wire; ``request`` returns the JSON object."""

    def __init__(
        self,
        base_url: str,
        *,
        email: str | None = None,
        api_token: str | None = None,
        oauth_token: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        retrier: Retrier | None = None,
        throttle: RateLimitThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
        deadline: float | None = None,
        max_bytes: int | None = HELPDESK_MAX_BYTES,
        write_budget: HelpdeskWriteBudget | None = None,
    ) -> None:
        auth: requests.auth.AuthBase | tuple[str, str] | None
        if oauth_token:
            self.auth_kind = "oauth"
            auth = _BearerAuth(oauth_token)
        elif email and api_token:
            self.auth_kind = "api_token"
            auth = (f"{email}/token", api_token)
        else:
            self.auth_kind = "none"
            auth = None
        super().__init__(
            base_url,
            replace(WIRE, statuses=statuses(self.auth_kind)),
            auth=auth,
            secrets=(oauth_token or "", api_token or ""),
            identities=(email or "",),
            timeout=timeout,
            deadline=deadline,
            retrier=retrier,
            throttle=throttle,
            sleep=sleep,
            pool_size=pool_size,
            max_bytes=max_bytes,
            write_budget=write_budget,
        )
