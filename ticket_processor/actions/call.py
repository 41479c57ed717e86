"""One action's HTTP call: its templates filled, sent within a bound, its answer read.

The whole call ends by ``deadline`` (seconds from now, the run's ``--max-runtime`` left, at most
the action's ``timeout``): a shop that hangs or trickles its answer a byte at a time is cut off
there. A 429 is retried after its ``Retry-After`` when that still fits the bound, a 5xx or a cut
connection once; anything else that is not a 2xx JSON answer is a failure with its reason. A
secret goes only into the header it was declared in, and every text this module hands back
(errors included) has the secrets masked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import requests
import urllib3

from ..common.scrub import Scrubber
from .book import PLACEHOLDER, Action, Request

MAX_ANSWER_BYTES = 2_000_000
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class CallResult:
    """What came back: ``status`` (0: no answer), the decoded ``body`` (None: not JSON or no
    answer), ``error`` (why it failed; None: a 2xx JSON answer), and the seconds it took."""

    status: int
    body: Any
    error: str | None
    seconds: float
    retry_after: float | None = None  # a 429's Retry-After, in seconds

    @property
    def ok(self) -> bool:
        return self.error is None


def fill(text: str, values: Mapping[str, str], environ: Mapping[str, str], *, url: bool) -> str:
    """``text`` with its placeholders replaced (inputs URL-quoted in a URL)."""

    def one(match: Any) -> str:
        scope, name = match.group(1), match.group(2)
        if scope:
            return environ.get(name, "")
        value = values.get(name, "")
        return quote(value, safe="") if url else value

    return PLACEHOLDER.sub(one, text)


def _fill_body(value: Any, values: Mapping[str, str], environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and not whole.group(1):  # "{amount}" alone keeps the input as given
            return values.get(whole.group(2), "")
        return fill(value, values, environ, url=False)
    if isinstance(value, dict):
        return {k: _fill_body(v, values, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_body(v, values, environ) for v in value]
    return value


class Caller:
    """Sends actions' calls with one session; ``sleep`` and ``clock`` injected for tests."""

    def __init__(
        self,
        environ: Mapping[str, str],
        scrub: Scrubber,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.environ = environ
        self.scrub = scrub
        self._sleep = sleep
        self._clock = clock
        self._session = requests.Session()
        self._lock = threading.Lock()
        self._not_before: dict[str, float] = {}  # host -> the clock its Retry-After ends at

    def call(
        self,
        action: Action,
        values: Mapping[str, str],
        *,
        deadline: float,
        idempotency_key: str | None = None,
        request: Request | None = None,
    ) -> CallResult:
        """Send ``action``'s request (or ``request``: its undo) with ``values`` within
        ``deadline`` seconds."""
        started = self._clock()
        request = action.request if request is None else request
        end = started + min(deadline, request.timeout * MAX_ATTEMPTS)
        url = fill(request.url, values, self.environ, url=True)
        headers = {k: fill(v, values, self.environ, url=False) for k, v in request.headers.items()}
        if idempotency_key and request.idempotency_header:
            headers[request.idempotency_header] = idempotency_key
        body = _fill_body(request.body, values, self.environ) if request.body else None
        result = CallResult(0, None, "not sent: no time left in the run", 0.0)
        host, waited = urlsplit(url).netloc, False
        for _ in range(MAX_ATTEMPTS):
            # A 429's Retry-After holds every call to its host, the other tickets' too.
            with self._lock:
                held = self._not_before.get(host, 0.0) - self._clock()
            if held > 0 and not waited:  # (this call's own 429 it has just waited out)
                if self._clock() + held >= end - 0.5:
                    break
                self._sleep(held)
            waited = False
            left = end - self._clock()
            if left <= 0.5:
                break
            result = self._once(request.method, url, headers, body, min(left, request.timeout))
            if result.status == 429:
                after = 1.0 if result.retry_after is None else result.retry_after
                until = self._clock() + after
                with self._lock:
                    self._not_before[host] = max(self._not_before.get(host, 0.0), until)
            wait = self._retry_after(result, end)
            if wait is None:
                break
            self._sleep(wait)
            waited = True
        return CallResult(result.status, result.body, result.error, self._clock() - started)

    def _retry_after(self, result: CallResult, end: float) -> float | None:
        """Seconds to wait before trying again, or None: do not."""
        if result.status == 429:
            wait = 1.0 if result.retry_after is None else result.retry_after
        elif result.status >= 500 or result.status == 0:
            wait = 1.0
        else:
            return None
        return wait if self._clock() + wait < end - 0.5 else None

    def _once(
        self, method: str, url: str, headers: dict[str, str], body: Any, bound: float
    ) -> CallResult:
        started = self._clock()
        try:
            with self._session.request(
                method,
                url,
                # identity: the body is read raw (read1), so never compressed.
                headers={"Accept": "application/json", "Accept-Encoding": "identity", **headers},
                data=orjson.dumps(body) if body is not None else None,
                timeout=(min(5.0, bound), min(10.0, bound)),
                stream=True,
                allow_redirects=False,
            ) as answer:
                raw = bytearray()
                # read1: what has arrived, not a full chunk, so a trickle meets the bound.
                while chunk := answer.raw.read1(8192):
                    raw += chunk
                    if self._clock() - started > bound:
                        return self._failed(0, "the answer did not finish in time", started)
                    if len(raw) > MAX_ANSWER_BYTES:
                        return self._failed(answer.status_code, "the answer is too large", started)
                status = answer.status_code
                if status == 429:
                    after = _seconds(answer.headers.get("Retry-After"))
                    took = self._clock() - started
                    return CallResult(429, None, "rate limited (429)", took, after)
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            # Read raw (read1), a stalled or cut body raises urllib3's own errors.
            return self._failed(0, f"no answer ({type(exc).__name__})", started)
        try:
            decoded = orjson.loads(bytes(raw)) if raw else None
        except orjson.JSONDecodeError:
            return self._failed(status, f"HTTP {status}, and the answer is not JSON", started)
        if not 200 <= status < 300:
            return CallResult(
                status, decoded, f"HTTP {status}: {self._reason(decoded)}", self._clock() - started
            )
        return CallResult(status, decoded, None, self._clock() - started)

    def _failed(self, status: int, why: str, started: float) -> CallResult:
        return CallResult(status, None, self.scrub.text(why), self._clock() - started)

    def _reason(self, body: Any) -> str:
        said = body.get("errors") if isinstance(body, dict) else None
        text = str(said) if said else "refused"
        return self.scrub.text(text[:200])

    def close(self) -> None:
        self._session.close()


def _seconds(value: object) -> float:
    """A ``Retry-After`` in seconds (a missing or odd one: one second)."""
    try:
        return max(0.0, float(str(value)))
    except ValueError:
        return 1.0


def dig(value: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``orders.0.fulfillments.0.tracking_number``); None where
    the path leads nowhere."""
    for part in path.split(".") if path else ():
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value
