"""The one HTTP transport both helpdesk adapters use: session, request path, deadline, errors.

The Zendesk and Freshdesk adapters speak HTTP only through a ``HelpdeskTransport``. Every request
goes the same way, whichever helpdesk it is for:

1. a write (any method but ``GET``/``HEAD``) first takes its place in the account's shared
   write budget when one is given (``write_budget.py``: every process on one Redis keeps to the
   account's write limit); then ``throttle.wait()``: pace from the rate-limit headers, and
   honour a ``Retry-After`` we were given (``resilience.pacing.RateLimitThrottle``);
2. one try on a pooled ``requests.Session`` with no urllib3 retries (``resilience.retry`` is the
   only retry layer; the retrier wraps the whole try, so each retry is paced as well);
3. the whole call under one deadline: requests' ``(connect, read)`` timeouts bound each socket
   operation, so an answer trickled a byte at a time would never trip them; the body is read
   chunk by chunk with each read given what is left, and counted after decompression up to
   ``max_bytes`` (``resilience.bounds.read_within``); the headers are due by the deadline too
   (``BoundedAdapter``, ``send_within``); a redirect is never followed (it would
   carry the request, a note's body, to wherever it points) but is an error naming its host;
4. the answer's rate-limit headers fed back to the throttle (and a 429's ``Retry-After`` to the
   shared write budget, when there is one), and any failure translated to
   ``ticket_processor.errors`` here, through the helpdesk's ``StatusTable``, so nothing above
   sees a requests type. A server's error body is quoted only after ``Scrubber`` masked every
   credential in it, and never logged.

A write that must not be sent twice (``replay_safe=False``: a note, a created ticket) whose
outcome is unknown raises ``WriteOutcomeUnknown`` instead of being retried: it may or may not
have been applied, and only the caller can look. Unknown, once it was sent: a broken connection
or a timeout before the whole answer, any 5xx (a gateway's 502/504 comes after the helpdesk
may have stored the write; a 503 cannot be told apart from one), and a success status whose
body is not JSON (a proxy's HTML page). A 429 and the other 4xx say the write was refused.

What differs per helpdesk is a ``Wire`` (``wire.py``, with how an answer is read): its name
and settings for messages, its status table and error-body reader, its rate-limit and
request-id header names, and the shape of a successful answer; plus its auth and base URL.
``helpdesks/zendesk/wire.py`` and ``helpdesks/freshdesk/wire.py`` fill one each.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import requests
import requests.auth
from urllib3.exceptions import (
    DecodeError,
    ProtocolError,
    ReadTimeoutError,
)

from ..common.scrub import Scrubber, display_url, url_credentials
from ..errors import (
    AnswerTooLarge,
    DeadlinePassed,
    HelpdeskError,
    HelpdeskRateLimited,
    HelpdeskServerError,
    RecordInvalidError,
    RunOutOfTime,
    WriteOutcomeUnknown,
)
from ..resilience.bounds import (
    HELPDESK_MAX_BYTES,
    BoundedAdapter,
    read_within,
    redirect_host,
    send_within,
)
from ..resilience.deadline import RunDeadline
from ..resilience.pacing import RateLimitThrottle
from ..resilience.retry import Retrier, RetryPolicy
from .failures import Said, TryWindow, try_failed
from .wire import (
    SANDBOX_HEADER,
    HelpdeskResponse,
    Wire,
    decode_json,
    int_header,
    json_body,
    retry_after_seconds,
)
from .write_budget import HelpdeskWriteBudget, is_write

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = "ticketbot (+https://github.com/ticketbot)"


@dataclass
class _Deferred:
    """An error the retrier must not retry, carried out of ``Retrier.call`` as a value."""

    error: HelpdeskError


class HelpdeskTransport(Generic[T]):
    """A pooled session plus the one request path; thread-safe. ``T``: what ``request`` returns.

    ``timeout`` is (connect, read) per socket operation; ``deadline`` bounds the whole request,
    answer included (default: connect + read); ``max_bytes`` caps one answer, decompressed
    (``TICKETBOT_HELPDESK_MAX_BYTES``; None: no cap). ``run_deadline`` (default: the retrier's)
    is the run's bound: a request gets at most the time left of it, and one it cuts short raises
    ``RunOutOfTime`` (not a helpdesk failure: the breaker does not count it).
    """

    def __init__(
        self,
        base_url: str,
        wire: Wire[T],
        *,
        auth: requests.auth.AuthBase | tuple[str, str] | None,
        secrets: Iterable[str] = (),
        identities: Iterable[str] = (),
        timeout: tuple[float, float] = (5.0, 30.0),
        deadline: float | None = None,
        retrier: Retrier | None = None,
        throttle: RateLimitThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
        max_bytes: int | None = HELPDESK_MAX_BYTES,
        run_deadline: RunDeadline | None = None,
        write_budget: HelpdeskWriteBudget | None = None,
    ) -> None:
        base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            example = f"https://acme.{wire.name.lower()}.com"
            raise ValueError(f"base_url must be an http(s) URL such as {example}")
        self.base_url = base_url
        self.wire = wire
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.retrier = retrier if retrier is not None else Retrier(RetryPolicy(), sleep=sleep)
        self.run_deadline = run_deadline if run_deadline is not None else self.retrier.deadline
        self.throttle = throttle if throttle is not None else RateLimitThrottle(sleep=sleep)
        self.sleep = sleep
        # Every process's writes to this account share it (TICKETBOT_LLM_BUDGET); None: the
        # throttle alone paces this process.
        self.write_budget = write_budget
        self._announced: int | None = None  # the account's request limit, as last announced
        self.sandbox_kind: str | None = None
        self.session = requests.Session()
        adapter = BoundedAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        # In ``session.auth`` so a netrc file never replaces the credentials; the environment
        # still supplies proxies and CA bundles.
        self.session.auth = auth
        # The credentials in every form they take on the wire (base64 basic auth included),
        # masked in any server text we quote, as is the userinfo of the base URL.
        self.scrubber = Scrubber(
            (*secrets, *url_credentials(base_url)), identities=tuple(i for i in identities if i)
        )
        self._shown_url = display_url(base_url)
        self._said = Said(wire.name, self._shown_url, wire.url_settings, self._out_of_time)
        # Stateless API client: session cookies would only tie requests from many threads to
        # one browser-style session.
        self.session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._shown_url!r})"

    def close(self) -> None:
        self.session.close()

    @property
    def write_limit(self) -> int:
        """The helpdesk's documented writes a minute for this account (``Wire.write_limit``
        of the request limit its last answer announced)."""
        return self.wire.write_limit(self._announced)

    def local_path(self, url: object) -> str | None:
        """The path and query of a next-page ``url`` if it points at our helpdesk, else None.

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

    def detail(self, body: Any) -> str:
        """An error body in one line, every credential masked: what messages may quote."""
        return self.scrubber.text(self.wire.describe(body))

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
        retry: bool = True,
    ) -> T:
        """One logical request, retried by the retrier; the answer in the helpdesk's shape.

        ``replay_safe=False`` marks writes that must not be sent twice: an answer that leaves
        the outcome unknown raises ``WriteOutcomeUnknown`` instead of being retried. Errors
        listed in ``no_retry`` are raised at once although retryable (a 409 on a stale stamp
        stays stale). ``retry=False``: one try, for a caller whose own retrier wraps a unit of
        requests (a Freshdesk write re-reads the ticket before it repeats an update).
        """
        if not retry:
            return self.retrier.once(
                lambda: self._send(method, path, params=params, json=json, replay_safe=replay_safe)
            )

        def attempt() -> T | _Deferred:
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
    ) -> T:
        if self.write_budget is not None and is_write(method):
            self.write_budget.take_write(self.write_limit, self._announced)
        self.throttle.wait()
        # The query stays out of messages and logs: it carries cursors and search text.
        where = f"{method} {path.split('?', 1)[0]}"
        started = time.monotonic()
        window = self._window(where)
        try:
            response = self._exchange(method, path, params, json, started, window)
        except (
            DecodeError,
            AnswerTooLarge,
            DeadlinePassed,
            requests.RequestException,
            ProtocolError,
            ReadTimeoutError,
        ) as exc:
            error = try_failed(exc, where, window, replay_safe, self._said)
            # Not chained to the cap's own error: the message says all of it.
            raise error from (None if isinstance(exc, AnswerTooLarge) else exc)
        return self._answer(response, where, started, replay_safe)

    def _window(self, where: str) -> TryWindow:
        """This request's (connect, read) timeouts and whole-request bound, the run's time
        left included; ``RunOutOfTime`` when none is left."""
        connect, read = self.timeout
        total = self.deadline if self.deadline is not None else connect + read
        run_left = self.run_deadline.left() if self.run_deadline is not None else None
        cut = run_left is not None and run_left < total
        if run_left is not None:
            if run_left <= 0:
                assert self.run_deadline is not None
                raise self.run_deadline.out_of_time(where)
            total = min(total, run_left)
            connect = min(connect, total)
        return TryWindow(connect, read, total, cut)

    def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        started: float,
        window: TryWindow,
    ) -> requests.Response:
        """One try: the request sent and its whole answer read, within ``window``."""
        response = send_within(
            lambda: self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                timeout=(window.connect, min(window.read, window.total)),
                stream=True,
                allow_redirects=False,
            ),
            started + window.total,
        )
        try:
            # What .json() and .content read from now on; consumed, so closing the
            # response hands the connection back to the pool instead of dropping it.
            response._content = read_within(
                response, started + window.total, window.read, cap=self.max_bytes
            )
            response._content_consumed = True  # type: ignore[attr-defined]
        finally:
            response.close()
        return response

    def _answer(
        self, response: requests.Response, where: str, started: float, replay_safe: bool
    ) -> T:
        """A whole answer: its rate-limit headers observed, an error status or a redirect
        raised, the body decoded and shaped as the helpdesk's."""
        name = self.wire.name
        headers = response.headers
        self.sandbox_kind = headers.get(SANDBOX_HEADER)
        limit, remaining = self.wire.rate_limit_headers
        announced = int_header(headers, limit)
        if announced is not None and announced > 0:
            self._announced = announced
        self.throttle.observe(announced, int_header(headers, remaining))
        log.debug(
            "%s %s -> %s in %.3fs",
            name.lower(),
            where,
            response.status_code,
            time.monotonic() - started,
            extra={"request_id": self.wire.request_id(headers)},
        )
        if response.status_code >= 400:
            error = self.error_for(response, where)
            if not replay_safe and response.status_code >= 500:
                raise WriteOutcomeUnknown(
                    f"{error}; the change may or may not have been applied",
                    status_code=response.status_code,
                    request_id=self.wire.request_id(headers),
                ) from error
            raise error
        if 300 <= response.status_code < 400:
            target = redirect_host(response.headers.get("Location"))
            raise HelpdeskError(
                f"{name} answered {where} with a redirect ({response.status_code}) to "
                f"{target}; ticketbot follows no redirect: check {self.wire.url_settings}",
                status_code=response.status_code,
                request_id=self.wire.request_id(headers),
            )
        if not response.content:
            body = None
        else:
            try:
                body = decode_json(response)
            except ValueError as exc:
                if not replay_safe:
                    raise WriteOutcomeUnknown(
                        f"{name} answered {where} with something that is not JSON; "
                        "the change may or may not have been applied",
                        status_code=response.status_code,
                        request_id=self.wire.request_id(headers),
                    ) from exc
                # A proxy's HTML page or a truncated body: the server side is not well, retry.
                raise HelpdeskServerError(
                    f"{name} answered {where} with something that is not JSON",
                    status_code=response.status_code,
                    request_id=self.wire.request_id(headers),
                ) from exc
        return self.wire.shape(HelpdeskResponse(body, headers, response.status_code), where)

    def _out_of_time(self, where: str, replay_safe: bool) -> RunOutOfTime:
        """A request the run's bound cut short; a write's outcome is then unknown."""
        assert self.run_deadline is not None
        unknown = "" if replay_safe else " (it may or may not have landed: the next run looks)"
        return self.run_deadline.out_of_time(f"{self.wire.name}'s answer to {where}{unknown}")

    def error_for(self, response: requests.Response, where: str) -> HelpdeskError:
        """The error for an answer of 400 or more, from the helpdesk's status table.

        A 429's ``Retry-After`` is also handed to the throttle, so every thread waits it out.
        """
        status = response.status_code
        name = self.wire.name
        rid = self.wire.request_id(response.headers)
        body = json_body(response)
        detail = self.detail(body)
        rule = self.wire.statuses.get(status)
        if rule is not None:
            template = rule.message
            if rule.foreign is not None and not self.wire.own_answer(where, body):
                template = rule.foreign
            message = template.format(
                where=where, status=status, detail=detail, host=self._shown_url
            )
            if issubclass(rule.error, RecordInvalidError):
                return rule.error(
                    message, status_code=status, request_id=rid, details=self.wire.details(body)
                )
            return rule.error(message, status_code=status, request_id=rid)
        if status == 429:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is not None:
                self.throttle.defer(wait)
                if self.write_budget is not None:
                    self.write_budget.hold(wait)  # every process's writes wait it out
            return HelpdeskRateLimited(
                f"{name} rate limit reached on {where} (429); retry after {wait}s",
                request_id=rid,
                retry_after=wait,
            )
        if status >= 500:
            return HelpdeskServerError(
                f"{name} failed on {where} ({status}: {detail})",
                status_code=status,
                request_id=rid,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        return HelpdeskError(
            f"{name} refused {where} ({status}: {detail})", status_code=status, request_id=rid
        )
