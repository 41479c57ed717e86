"""A generic JSON webhook signed with HMAC-SHA256 (``TICKETBOT_ALERT_JSON_URL``,
``TICKETBOT_ALERT_JSON_SECRET``).

Each post carries two headers: ``X-Ticketbot-Timestamp``, the Unix time in seconds when it was
signed, and ``X-Ticketbot-Signature``, ``sha256=`` and the hex HMAC-SHA256 under the secret of
``<timestamp>.<body>`` (the body's bytes exactly as sent). A receiver recomputes it, compares
in constant time and refuses a timestamp more than five minutes from its clock, so a captured
post cannot be replayed later (``verify`` is that check; docs/how-to/escalations.md shows it
stand-alone).
The body is JSON (``{"event": ..., "tickets": [...]}``): a consumer escapes for where it shows
the text. The secret never leaves this module but as the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import orjson

from .delivery import Poster, Undelivered

TIMESTAMP_HEADER = "X-Ticketbot-Timestamp"
SIGNATURE_HEADER = "X-Ticketbot-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of ``<timestamp>.<body>`` under ``secret``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """True when ``headers`` sign ``body`` under ``secret`` and were signed near ``now``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(stamp), body), given)


@dataclass(frozen=True)
class SignedWebhook:
    """Posts signed JSON events to one URL."""

    url: str
    secret: str = field(repr=False)
    poster: Poster
    clock: Callable[[], float] = time.time

    def post(self, event: Mapping[str, object]) -> Undelivered | None:
        """None when the receiver answered 2xx, else why not."""
        body = orjson.dumps(event)
        stamp = int(self.clock())
        headers = {
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: signature(self.secret, stamp, body),
        }
        answer = self.poster.post(self.url, body, headers)
        if isinstance(answer, Undelivered):
            return answer
        if 200 <= answer.status < 300:
            return None
        return Undelivered(f"JSON webhook answered HTTP {answer.status}")
