"""One JSON post to an alert channel's HTTP endpoint: one exchange under one deadline.

The exchange is bounded as the Slack webhook's post is (``resilience.bounds``): one timeout for
the whole call, answer included, at most ``max_bytes`` of answer, no redirect followed (it would
carry the alert to another host); the run's deadline (``RunDeadline``) shortens it, never
lengthens it. ``Poster.post`` tries once: trying again is the channel's business
(``ChannelGate``), so that a 429 or a channel that does not answer backs the whole
channel off instead of being retried ticket by ticket, and an answer that came too late is
not followed at once by a second copy of the same post.

Nothing here puts the URL, a header's value or the body in a message: a channel's URL or
headers may carry its secret (a Teams workflow's ``sig=``, an HMAC signature), and the body is
ticket text. ``Undelivered.detail`` says what went wrong in words that hold none of them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3.exceptions

from ..errors import AnswerTooLarge, DeadlinePassed, RetryableError
from ..resilience.bounds import (
    WEBHOOK_MAX_BYTES,
    BoundedAdapter,
    read_within,
    redirect_host,
    send_within,
    size_text,
)
from ..resilience.deadline import RunDeadline

# One exchange with an escalation channel in all (connection, TLS, the body, the answer): a
# Teams workflow or a relay that answers in 10 s has taken the post, and a shorter bound would
# send it again. Deliveries run beside the triage, so a channel that hangs costs no ticket.
EXCHANGE_SECONDS = 30.0


# A channel's back-off after a failure with no Retry-After: 2 s, doubling, at most 5 minutes
# (PagerDuty's own advice for 429 is to back off, not to retry at once).
BACKOFF_BASE = 2.0
BACKOFF_MAX = 300.0


class ChannelBusy(RetryableError):
    """The channel answered 429 or 5xx, or could not be reached: worth another try."""


@dataclass(frozen=True)
class ChannelAnswer:
    """A channel's answer: its status and its body (capped), for a caller that reads it."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Undelivered:
    """Why a channel did not take a delivery. ``busy``: it may take it later (429, 5xx,
    unreachable, no answer in time), ``retry_after`` what it asked for; ``unanswered``: the
    exchange ended without an answer once the body had gone, so the channel may have taken it
    (trying again at once would risk a copy)."""

    detail: str
    busy: bool = False
    retry_after: float | None = None
    unanswered: bool = False

    def __str__(self) -> str:
        return self.detail


@dataclass
class ChannelGate:
    """When a channel may be tried again: closed after a failure for its ``Retry-After`` or
    a doubling back-off, open again after its next success. ``since``: the wall-clock time
    of the first failure in a row (None: the channel is well)."""

    until: float = 0.0  # on the monotonic clock
    failures: int = 0
    reason: str = ""
    since: float | None = None

    def wait(self, now: float) -> float:
        return max(0.0, self.until - now)

    def failed(self, failure: Undelivered, now: float, wall: float) -> None:
        self.failures += 1
        asked = failure.retry_after
        backoff = BACKOFF_BASE * 2 ** min(self.failures - 1, 10) if asked is None else asked
        self.until = now + min(BACKOFF_MAX, max(0.0, backoff))
        self.reason = failure.detail
        if self.since is None:
            self.since = wall

    def passed(self) -> None:
        self.until, self.failures, self.reason, self.since = 0.0, 0, "", None


def stalled(gates: Mapping[str, ChannelGate], now: float) -> dict[str, dict[str, Any]]:
    """The channels backed off at ``now`` (monotonic): since when, why, and in how many seconds
    they are tried again."""
    return {
        name: {
            "since": datetime.fromtimestamp(gate.since, UTC).isoformat(),
            "reason": gate.reason,
            "retry_in": round(gate.wait(now), 1),
        }
        for name, gate in list(gates.items())  # another thread may add to it
        if gate.since is not None
    }


@dataclass(frozen=True)
class Poster:
    """Posts to one channel: ``name`` names it in messages (``PagerDuty``, ``Teams``...);
    ``timeout`` bounds the whole exchange."""

    name: str
    timeout: float = EXCHANGE_SECONDS
    max_bytes: int = WEBHOOK_MAX_BYTES
    deadline: RunDeadline | None = None

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str]
    ) -> ChannelAnswer | Undelivered:
        """The channel's answer (any status below 500 but 429), or why none came."""
        timeout = self.timeout if self.deadline is None else self.deadline.cap(self.timeout)
        if timeout <= 0:
            return Undelivered(f"{self.name}: the run's time is spent; left to the next run", True)
        try:
            return self._once(url, body, headers, timeout)
        except ChannelBusy as exc:
            unanswered = isinstance(exc, _NoAnswer)
            return Undelivered(str(exc), True, exc.retry_after, unanswered)
        except _Refused as exc:
            return Undelivered(str(exc))

    def _once(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> ChannelAnswer:
        started = time.monotonic()
        name = self.name
        try:
            with requests.Session() as session:
                session.mount("http://", BoundedAdapter(max_retries=0))
                session.mount("https://", BoundedAdapter(max_retries=0))
                response = send_within(
                    lambda: session.post(
                        url,
                        data=body,
                        headers={"Content-Type": "application/json", **headers},
                        timeout=(min(5.0, timeout), timeout),
                        stream=True,
                        allow_redirects=False,
                    ),
                    started + timeout,
                )
                try:
                    content = read_within(response, started + timeout, timeout, cap=self.max_bytes)
                finally:
                    response.close()
        except requests.ConnectTimeout as exc:
            raise ChannelBusy(f"{name} unreachable (no connection within {timeout:g} s)") from exc
        except (requests.Timeout, DeadlinePassed) as exc:
            raise _NoAnswer(f"{name} gave no complete answer within {timeout:g} s") from exc
        except AnswerTooLarge as exc:
            raise _Refused(
                f"{name}'s answer is larger than {size_text(self.max_bytes)}; reading stopped"
            ) from exc
        except requests.ConnectionError as exc:
            raise ChannelBusy(f"{name} unreachable (connection refused or reset)") from exc
        except requests.RequestException as exc:
            # The exception's text carries the URL, hence only its type.
            raise _Refused(f"{name} request failed ({type(exc).__name__})") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ChannelBusy(
                f"{name}'s answer broke off or does not decode ({type(exc).__name__})"
            ) from exc
        status = response.status_code
        if 300 <= status < 400:
            target = redirect_host(response.headers.get("Location"))
            raise _Refused(f"{name} answered with a redirect ({status}) to {target}, not followed")
        if status == 429 or status >= 500:
            raise ChannelBusy(f"{name} answered HTTP {status}", retry_after=_retry_after(response))
        return ChannelAnswer(status, content)


class _NoAnswer(ChannelBusy):
    """The post went and no complete answer came within the exchange's time."""


class _Refused(Exception):
    """A failure another try would not mend (a redirect, an oversized answer)."""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
