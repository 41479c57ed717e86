"""One JSON post to an alert channel's HTTP endpoint, bounded and retried within the run's time.

Each try is bounded as the Slack webhook's post is (``resilience.bounds``): one timeout for the
whole call, answer included, at most ``max_bytes`` of answer, no redirect followed (it would
carry the alert to another host). A 429, a 5xx or a connection that fails is tried again with
``resilience.retry``'s back-off, never past the run's deadline (``RunDeadline``): what is still
undelivered then is the next run's, since the channels remember only what was delivered.

Nothing here puts the URL, a header's value or the body in a message: a channel's URL or
headers may carry its secret (a Teams workflow's ``sig=``, an HMAC signature), and the body is
ticket text. ``PostFailed.detail`` says what went wrong in words that hold none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests
import urllib3.exceptions

from ..errors import AnswerTooLarge, DeadlinePassed, RetryableError, RunOutOfTime
from ..resilience.bounds import (
    WEBHOOK_MAX_BYTES,
    BoundedAdapter,
    read_within,
    redirect_host,
    send_within,
    size_text,
)
from ..resilience.deadline import RunDeadline
from ..resilience.retry import Retrier, RetryPolicy

# A page or a mail that waits a few seconds is fine; one that holds the run's lock is not.
ALERT_RETRIES = RetryPolicy(attempts=3, base_delay=1.0, max_delay=8.0, max_retry_after=30.0)


class ChannelBusy(RetryableError):
    """The channel answered 429 or 5xx, or could not be reached: worth another try."""


@dataclass(frozen=True)
class ChannelAnswer:
    """A channel's answer: its status and its body (capped), for a caller that reads it."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Poster:
    """Posts to one channel: ``name`` names it in messages (``PagerDuty``, ``Teams``...)."""

    name: str
    timeout: float = 5.0
    max_bytes: int = WEBHOOK_MAX_BYTES
    deadline: RunDeadline | None = None
    sleep: Callable[[float], None] = time.sleep
    policy: RetryPolicy = ALERT_RETRIES

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> ChannelAnswer | str:
        """The channel's answer (any status below 500 but 429), or why none came (a str)."""
        retrier = Retrier(self.policy, sleep=self.sleep, deadline=self.deadline)
        try:
            return retrier.call(lambda: self._once(url, body, headers))
        except ChannelBusy as exc:
            return str(exc)
        except RunOutOfTime:
            return f"{self.name}: the run's time is spent; left to the next run"
        except _Refused as exc:
            return str(exc)

    def _once(self, url: str, body: bytes, headers: Mapping[str, str]) -> ChannelAnswer:
        timeout = self.timeout if self.deadline is None else self.deadline.cap(self.timeout)
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
        except (requests.Timeout, DeadlinePassed) as exc:
            raise ChannelBusy(f"{name} gave no complete answer within {timeout:g} s") from exc
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


class _Refused(Exception):
    """A failure another try would not mend (a redirect, an oversized answer)."""


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
