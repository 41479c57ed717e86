"""Zendesk HTTP transport: the session and the one request path.

``zendesk.py`` builds on this; together they are the only code that speaks Zendesk HTTP. Every
request goes the same way: ``throttle.wait()`` (pace from the rate-limit headers, and honour a
``Retry-After`` we were given), one try on a pooled ``requests.Session`` with no urllib3 retries
(ours is the only retry layer), the answer's ``X-Rate-Limit`` headers fed back to the throttle,
and any failure translated to ``ticket_processor.errors`` here (the status -> error table is
``status``), so nothing above sees a requests type. The retrier wraps the whole try,
so each retry is paced as well.

Credentials live in the session's auth object only: they never reach a message, a log line or
``repr``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from ...errors import HelpdeskConnectionError, HelpdeskError
from ...ops.scrub import Scrubber, display_url, url_credentials
from ...resilience.retry import RateLimitThrottle, Retrier, RetryPolicy
from ..deadline import DeadlinePassed, read_within
from .status import error_for, json_object, request_id_of

log = logging.getLogger(__name__)


USER_AGENT = "ticketbot (+https://github.com/ticketbot)"


class WriteOutcomeUnknown(HelpdeskError):
    """A write was sent but the connection broke before the answer came back.

    Zendesk may or may not have applied it. Replaying it blindly could add a second internal
    note (or create duplicate tickets), so it is not retried here; the caller re-reads and
    decides (the single-ticket path's ``safe_update`` turns a replay into a 409).
    """


@dataclass
class _Deferred:
    """An error the retrier must not retry, carried out of ``Retrier.call`` as a value."""

    error: HelpdeskError


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers[name])
    except (KeyError, ValueError):
        return None


def _reached_server(exc: requests.RequestException) -> bool:
    """False when the request certainly never left (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return not isinstance(reason, NewConnectionError)


class _BearerAuth(requests.auth.AuthBase):
    """OAuth bearer token; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth(***)"


class ZendeskTransport:
    """A pooled session plus the one request path; used by ``ZendeskClient``."""

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
    ) -> None:
        # ``timeout``: (connect, read) per socket operation; ``deadline``: the whole request.
        base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("base_url must be an http(s) URL such as https://acme.zendesk.com")
        self.base_url = base_url
        self.timeout = timeout
        self.deadline = deadline
        self.retrier = retrier if retrier is not None else Retrier(RetryPolicy(), sleep=sleep)
        self.throttle = throttle if throttle is not None else RateLimitThrottle(sleep=sleep)
        self.sleep = sleep
        self.sandbox_kind: str | None = None
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        # Credentials go in ``session.auth`` (also the bearer token), so a netrc file never
        # replaces them; the environment still supplies proxies and CA bundles.
        # The credentials in every form they take on the wire (base64 basic auth included),
        # masked in any server text we quote, as is the userinfo of the base URL.
        self._scrubber = Scrubber(
            (oauth_token or "", api_token or "", *url_credentials(base_url)),
            identities=(email or "",),
        )
        self._shown_url = display_url(base_url)
        if oauth_token:
            self.auth_kind = "oauth"
            self.session.auth = _BearerAuth(oauth_token)
        elif email and api_token:
            self.auth_kind = "api_token"
            self.session.auth = (f"{email}/token", api_token)
        else:
            self.auth_kind = "none"
        # Stateless API client: Zendesk's session cookies would only tie requests from many
        # threads to one browser-style session.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def close(self) -> None:
        self.session.close()

    def local_path(self, url: object) -> str | None:
        """The path and query of a next-page ``url`` if it points at our Zendesk, else None.

        Credentials go with every request, so a link to another host is never followed.
        """
        if not isinstance(url, str) or not url:
            return None
        target, base = urlsplit(url), urlsplit(self.base_url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            log.warning("not following a next-page link to another host")
            return None
        path = target.path
        prefix = base.path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            path = path[len(prefix) :]  # base_url already carries it
        return path + (f"?{target.query}" if target.query else "")

    # -- the request path ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        replay_safe: bool = True,
        no_retry: tuple[type[HelpdeskError], ...] = (),
    ) -> dict[str, Any]:
        """One logical request, retried by the retrier; returns the JSON body.

        ``replay_safe=False`` marks writes that must not be sent twice: a connection that broke
        after sending raises ``WriteOutcomeUnknown`` instead of being retried. Errors listed in
        ``no_retry`` are raised at once although retryable (a 409 on a stale stamp stays stale).
        """

        def attempt() -> dict[str, Any] | _Deferred:
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
    ) -> dict[str, Any]:
        self.throttle.wait()
        where = f"{method} {path}"
        started = time.monotonic()
        # A deadline for the whole call, answer included (``helpdesks.deadline``): a server that
        # trickles its answer a byte at a time never trips a per-read timeout.
        connect, read = self.timeout
        total = self.deadline if self.deadline is not None else connect + read
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                timeout=(connect, min(read, total)),
                stream=True,
            )
            try:
                # What .json() and .content read from now on; consumed, so closing the
                # response hands the connection back to the pool instead of dropping it.
                response._content = read_within(response, started + total, read)
                response._content_consumed = True  # type: ignore[attr-defined]
            finally:
                response.close()
        except DeadlinePassed as exc:
            if not replay_safe:
                raise WriteOutcomeUnknown(
                    f"Zendesk gave no complete answer to {where} within {total:g} s; "
                    "the change may or may not have been applied"
                ) from exc
            raise HelpdeskConnectionError(
                f"Zendesk gave no complete answer to {where} within {total:g} s"
            ) from exc
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            ProtocolError,
            ReadTimeoutError,
        ) as exc:
            kind = type(exc).__name__
            if isinstance(exc, requests.RequestException) and not _reached_server(exc):
                raise HelpdeskConnectionError(
                    f"could not reach Zendesk at {self._shown_url} for {where} ({kind}): "
                    "check ZENDESK_URL / ZENDESK_SUBDOMAIN and the network"
                ) from exc
            if not replay_safe:
                raise WriteOutcomeUnknown(
                    f"connection to Zendesk lost after sending {where} ({kind}); "
                    "the change may or may not have been applied"
                ) from exc
            raise HelpdeskConnectionError(
                f"connection to Zendesk at {self._shown_url} broke during {where} ({kind})"
            ) from exc
        except requests.RequestException as exc:
            raise HelpdeskError(f"request {where} failed ({type(exc).__name__})") from exc
        headers = response.headers
        # ticketbot's own sandboxes say so; ``seed`` writes samples only there without --yes.
        self.sandbox_kind = headers.get("X-Ticketbot-Sandbox")
        self.throttle.observe(
            _int_header(headers, "X-Rate-Limit"), _int_header(headers, "X-Rate-Limit-Remaining")
        )
        log.debug(
            "zendesk %s -> %s in %.3fs",
            where,
            response.status_code,
            time.monotonic() - started,
            extra={"request_id": request_id_of(headers)},
        )
        if response.status_code >= 400:
            raise error_for(
                response,
                where,
                auth_kind=self.auth_kind,
                scrubber=self._scrubber,
                throttle=self.throttle,
            )
        return json_object(response, where)
