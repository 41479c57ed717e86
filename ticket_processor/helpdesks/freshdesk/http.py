"""Freshdesk HTTP transport: the session, the request path, paging, the status -> error table.

The Freshdesk adapter builds on this; together they are the only code that speaks Freshdesk HTTP.
Every request goes the same way as Zendesk's (``zendesk/http.py``): ``throttle.wait()`` (pace
from ``X-RateLimit-Total`` / ``X-RateLimit-Remaining``, honour a ``Retry-After`` we were given),
one try on a pooled ``requests.Session`` with no urllib3 retries (ours is the only retry layer),
and any failure translated to ``ticket_processor.errors`` here, so nothing above sees a requests
type. Lists are bare JSON arrays; the next page is the ``Link: <…>; rel="next"`` header.

Auth is HTTP basic with the API key as user name (the password is ignored: we send ``X``). The
key lives in the session's auth only; any server text we quote has it blanked out.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import parse_header_links

from ...errors import (
    AuthError,
    ConflictError,
    HelpdeskConnectionError,
    HelpdeskError,
    HelpdeskRateLimited,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
)
from ...resilience.retry import RateLimitThrottle, Retrier, RetryPolicy
from ..zendesk.http import USER_AGENT, WriteOutcomeUnknown, _reached_server
from ..zendesk.status import retry_after_seconds

log = logging.getLogger(__name__)

SANDBOX_HEADER = "X-Ticketbot-Sandbox"

__all__ = ["FreshdeskResponse", "FreshdeskTransport", "WriteOutcomeUnknown", "freshdesk_base_url"]


class FreshdeskResponse(NamedTuple):
    """A successful answer: the JSON body (a dict, a list, or None when empty) and headers."""

    body: Any
    headers: Mapping[str, str]

    @property
    def sandbox(self) -> str | None:
        """``zendesk`` / ``freshdesk`` when a ticketbot sandbox answered, else None."""
        return self.headers.get(SANDBOX_HEADER)


@dataclass
class _Deferred:
    """An error the retrier must not retry, carried out of ``Retrier.call`` as a value."""

    error: HelpdeskError


def freshdesk_base_url(domain: str) -> str:
    """``acme`` or ``acme.freshdesk.com`` (or a full URL) as ``https://acme.freshdesk.com``."""
    value = domain.strip().rstrip("/")
    if "://" in value:
        return value
    if "." not in value:
        value = f"{value}.freshdesk.com"
    return f"https://{value}"


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(float(headers[name]))
    except (KeyError, ValueError):
        return None


def _request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("X-Request-Id")


def _describe(body: Any, credentials: tuple[str, ...]) -> str:
    """Freshdesk's error body in one line, credentials blanked out."""
    if not isinstance(body, dict) or not body:
        return "no error description"
    parts = [str(body[k]) for k in ("code", "description", "message") if body.get(k)]
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors[:5]:
            if isinstance(item, dict):
                parts.append(f"{item.get('field')}: {item.get('message')} ({item.get('code')})")
    text = "; ".join(parts) if parts else "no error description"
    for secret in credentials:
        text = text.replace(secret, "***")
    return text


class FreshdeskTransport:
    """A pooled session plus the one request path; the Freshdesk adapter's only way out."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        retrier: Retrier | None = None,
        throttle: RateLimitThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
    ) -> None:
        base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an http(s) URL such as https://acme.freshdesk.com")
        if not api_key:
            raise ValueError("api_key is empty: set FRESHDESK_API_KEY")
        self.base_url = base_url
        self.timeout = timeout
        self.retrier = retrier if retrier is not None else Retrier(RetryPolicy(), sleep=sleep)
        self.throttle = throttle if throttle is not None else RateLimitThrottle(sleep=sleep)
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        # In ``session.auth`` so a netrc file never replaces it.
        self.session.auth = (api_key, "X")
        pair = base64.b64encode(f"{api_key}:X".encode()).decode("ascii")
        self._credentials = (pair, api_key)
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def __repr__(self) -> str:
        return f"FreshdeskTransport({self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    # -- paging ------------------------------------------------------------------------------

    def next_page(self, headers: Mapping[str, str]) -> str | None:
        """The path and query of the ``rel="next"`` link, if it points at our Freshdesk.

        Credentials go with every request, so a link to another host is never followed.
        """
        links = parse_header_links(headers.get("Link", "")) if headers.get("Link") else []
        url = next((link.get("url") for link in links if link.get("rel") == "next"), None)
        if not url:
            return None
        target, base = urlsplit(url), urlsplit(self.base_url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            log.warning("not following a next-page link to another host")
            return None
        return target.path + (f"?{target.query}" if target.query else "")

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """Each page of a list endpoint (a bare JSON array), following ``Link`` to the end."""
        answer = self.request("GET", path, params=params)
        while True:
            if not isinstance(answer.body, list):
                raise HelpdeskServerError(
                    f"Freshdesk answered GET {path} with something that is not a list",
                    status_code=200,
                    request_id=_request_id(answer.headers),
                )
            yield answer.body
            following = self.next_page(answer.headers)
            if following is None:
                return
            answer = self.request("GET", following)  # the link carries the parameters

    # -- the request path --------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        replay_safe: bool = True,
        no_retry: tuple[type[HelpdeskError], ...] = (),
    ) -> FreshdeskResponse:
        """One logical request, retried by the retrier; returns the body and the headers.

        ``replay_safe=False`` marks writes that must not be sent twice (a note): a connection
        that broke after sending raises ``WriteOutcomeUnknown`` instead of being retried. Errors
        in ``no_retry`` are raised at once although retryable.
        """

        def attempt() -> FreshdeskResponse | _Deferred:
            try:
                return self._send(method, path, params=params, json=json, replay_safe=replay_safe)
            except no_retry as exc:
                return _Deferred(exc)

        result = self.retrier.call(attempt)
        if isinstance(result, _Deferred):
            raise result.error
        return result

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        replay_safe: bool,
    ) -> FreshdeskResponse:
        self.throttle.wait()
        where = f"{method} {path.split('?', 1)[0]}"
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base_url + path, params=params, json=json, timeout=self.timeout
            )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            kind = type(exc).__name__
            if not _reached_server(exc):
                raise HelpdeskConnectionError(
                    f"could not reach Freshdesk at {self.base_url} for {where} ({kind}): "
                    "check FRESHDESK_URL / FRESHDESK_DOMAIN and the network"
                ) from exc
            if not replay_safe:
                raise WriteOutcomeUnknown(
                    f"connection to Freshdesk lost after sending {where} ({kind}); "
                    "the change may or may not have been applied"
                ) from exc
            raise HelpdeskConnectionError(
                f"connection to Freshdesk at {self.base_url} broke during {where} ({kind})"
            ) from exc
        except requests.RequestException as exc:
            raise HelpdeskError(f"request {where} failed ({type(exc).__name__})") from exc
        headers = response.headers
        self.throttle.observe(
            _int_header(headers, "X-RateLimit-Total"), _int_header(headers, "X-RateLimit-Remaining")
        )
        log.debug(
            "freshdesk %s -> %s in %.3fs",
            where,
            response.status_code,
            time.monotonic() - started,
            extra={"request_id": _request_id(headers)},
        )
        if response.status_code >= 400:
            raise error_for(response, where, self._credentials, self.throttle)
        if not response.content:
            return FreshdeskResponse(None, headers)
        try:
            return FreshdeskResponse(response.json(), headers)
        except ValueError as exc:
            # A proxy's HTML page or a truncated body: the server side is not well, try again.
            raise HelpdeskServerError(
                f"Freshdesk answered {where} with something that is not JSON",
                status_code=response.status_code,
                request_id=_request_id(headers),
            ) from exc


def error_for(
    response: requests.Response,
    where: str,
    credentials: tuple[str, ...],
    throttle: RateLimitThrottle,
) -> HelpdeskError:
    """The status -> error table; messages say how to fix what can be fixed.

    A 429's ``Retry-After`` is also handed to ``throttle``, so every thread waits it out.
    """
    status = response.status_code
    rid = _request_id(response.headers)
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    detail = _describe(body, credentials)
    if status == 401:
        return AuthError(
            "Freshdesk rejected the API key (401): check FRESHDESK_API_KEY",
            status_code=401,
            request_id=rid,
        )
    if status == 403:
        return AuthError(
            f"Freshdesk refused {where} (403: {detail}): the agent behind "
            "FRESHDESK_API_KEY lacks a permission this needs",
            status_code=403,
            request_id=rid,
        )
    if status == 404:
        return NotFoundError(
            f"Freshdesk found nothing at {where} (404)", status_code=404, request_id=rid
        )
    if status == 409:
        return ConflictError(f"Freshdesk refused {where} (409: {detail})", request_id=rid)
    if status in (400, 422):
        errors = body.get("errors") if isinstance(body, dict) else None
        return RecordInvalidError(
            f"Freshdesk refused {where} ({status}: {detail})",
            status_code=status,
            request_id=rid,
            details={"errors": errors} if isinstance(errors, list) else {},
        )
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is not None:
            throttle.defer(wait)
        return HelpdeskRateLimited(
            f"Freshdesk rate limit reached on {where} (429); retry after {wait}s",
            request_id=rid,
            retry_after=wait,
        )
    if status >= 500:
        return HelpdeskServerError(
            f"Freshdesk failed on {where} ({status}: {detail})",
            status_code=status,
            request_id=rid,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    return HelpdeskError(
        f"Freshdesk refused {where} ({status}: {detail})", status_code=status, request_id=rid
    )
