"""Zendesk's answers read: the status -> error table, ``Retry-After``, request ids, bodies.

``http.ZendeskTransport`` calls ``error_for`` on every answer of 400 or more (and
``json_object`` on the others); the messages say how to fix what can be fixed, and any
credential quoted in a server's error body is masked (``Scrubber``). ``retry_after_seconds``
is shared with the Freshdesk transport.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from ...errors import (
    AuthError,
    ConflictError,
    HelpdeskError,
    HelpdeskRateLimited,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
)
from ...ops.scrub import Scrubber
from ...resilience.retry import RateLimitThrottle


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds: Zendesk sends an integer, HTTP also allows a date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now())


def request_id_of(headers: Mapping[str, str]) -> str | None:
    return headers.get("X-Request-Id") or headers.get("X-Zendesk-Request-Id")


def _body(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _describe(body: Mapping[str, Any], scrubber: Scrubber | None = None) -> str:
    """Zendesk's error body in one line: ``error: description`` (either may be missing).

    The body is the server's text (or a proxy's): one that quotes the ``Authorization`` header
    it was sent would put the token in our message, so the credentials are masked.
    """
    error = body.get("error")
    if isinstance(error, dict):  # some endpoints nest {"title", "message"}
        error = error.get("title") or error.get("message")
    description = body.get("description")
    parts = [str(p) for p in (error, description) if p]
    text = ": ".join(parts) if parts else "no error description"
    return scrubber.text(text) if scrubber is not None else text


def error_for(
    response: requests.Response,
    where: str,
    *,
    auth_kind: str,
    scrubber: Scrubber,
    throttle: RateLimitThrottle,
) -> HelpdeskError:
    """The status -> error table; messages say how to fix what can be fixed.

    A 429's ``Retry-After`` is also handed to ``throttle``, so every thread waits it out.
    """
    status = response.status_code
    rid = request_id_of(response.headers)
    body = _body(response)
    detail = _describe(body, scrubber)
    if status == 401:
        fix = (
            "check ZENDESK_OAUTH_TOKEN"
            if auth_kind == "oauth"
            else "check ZENDESK_EMAIL and ZENDESK_API_TOKEN"
        )
        return AuthError(
            f"Zendesk rejected the credentials (401): {fix}", status_code=401, request_id=rid
        )
    if status == 403:
        return AuthError(
            f"Zendesk refused {where} (403: {detail}): the user behind "
            "ZENDESK_EMAIL lacks a permission this needs",
            status_code=403,
            request_id=rid,
        )
    if status == 404:
        return NotFoundError(
            f"Zendesk found nothing at {where} (404: {detail})",
            status_code=404,
            request_id=rid,
        )
    if status == 409:
        return ConflictError(
            f"Zendesk refused {where} (409): the record changed since it was read",
            request_id=rid,
        )
    if status == 422:
        details = body.get("details")
        if details is not None and not isinstance(details, dict):
            details = {"details": details}
        return RecordInvalidError(
            f"Zendesk refused {where} (422: {detail})",
            request_id=rid,
            details=details,
        )
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            throttle.defer(wait)
        return HelpdeskRateLimited(
            f"Zendesk rate limit reached on {where} (429); retry after {wait}s",
            request_id=rid,
            retry_after=wait,
        )
    if status >= 500:
        return HelpdeskServerError(
            f"Zendesk failed on {where} ({status}: {detail})",
            status_code=status,
            request_id=rid,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    return HelpdeskError(
        f"Zendesk refused {where} ({status}: {detail})",
        status_code=status,
        request_id=rid,
    )


def json_object(response: requests.Response, where: str) -> dict[str, Any]:
    """A successful answer's body: a JSON object, or ``{}`` when empty.

    Anything else (a proxy's HTML page, a truncated body) is a ``HelpdeskServerError``: the
    server side is not well, try again.
    """
    try:
        data = response.json() if response.content else {}
    except ValueError as exc:
        # A proxy's HTML page or a truncated body: the server side is not well, try again.
        raise HelpdeskServerError(
            f"Zendesk answered {where} with something that is not JSON",
            status_code=response.status_code,
            request_id=request_id_of(response.headers),
        ) from exc
    if not isinstance(data, dict):
        raise HelpdeskServerError(
            f"Zendesk answered {where} with JSON that is not an object",
            status_code=response.status_code,
            request_id=request_id_of(response.headers),
        )
    return data
