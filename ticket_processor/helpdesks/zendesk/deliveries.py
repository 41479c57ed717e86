"""How Zendesk signs the webhook calls ``serve`` takes at ``/webhooks/zendesk``.

``X-Zendesk-Webhook-Signature`` is the base64 HMAC-SHA256, with the webhook's signing secret, of
``X-Zendesk-Webhook-Signature-Timestamp`` followed by the raw body. A delivery whose timestamp
is more than ``MAX_SKEW`` off is refused (a replay). Its ``X-Zendesk-Webhook-Invocation-Id`` and
its signature name it: a retry carries the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from ..deliveries import Delivery, Refused, parse_body, timestamp

MAX_SKEW = 300.0  # seconds a Zendesk signature timestamp may be off

SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
WEBHOOK_ID = "x-zendesk-webhook-id"
INVOCATION = "x-zendesk-webhook-invocation-id"


def zendesk_signature(secret: str, stamp: str, body: bytes) -> str:
    """What Zendesk sends in ``X-Zendesk-Webhook-Signature`` for this timestamp and body."""
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_zendesk(headers: Mapping[str, str], body: bytes, *, secret: str, now: float) -> Delivery:
    """The delivery, if Zendesk signed it with ``secret`` less than ``MAX_SKEW`` ago."""
    signature = headers.get(SIGNATURE)
    stamp = headers.get(TIMESTAMP)
    if not signature or not stamp:
        raise Refused(401, "unsigned", "no X-Zendesk-Webhook-Signature or -Timestamp header")
    expected = zendesk_signature(secret, stamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise Refused(401, "bad_signature", "the signature does not match the signing secret")
    moment = timestamp(stamp)
    if moment is None:
        raise Refused(400, "malformed", "the signature timestamp is not an ISO-8601 time")
    if abs(now - moment) > MAX_SKEW:
        raise Refused(
            400,
            "stale",
            f"the signature timestamp is {abs(now - moment):.0f} s off (at most "
            f"{MAX_SKEW:.0f} s): a replay, or this host's clock is wrong",
        )
    ticket_id, event = parse_body(body)
    webhook = headers.get(WEBHOOK_ID, "")
    invocation = headers.get(INVOCATION)
    return Delivery(
        "zendesk",
        ticket_id,
        event,
        now,
        signature=signature.strip(),
        invocation=f"{webhook[:100]}:{invocation[:100]}" if invocation else None,
    )


class ZendeskReceiver:
    """``WebhookReceiver`` for Zendesk."""

    label = "Zendesk"
    headers = (
        ("X-Zendesk-Webhook-Signature", True),
        ("X-Zendesk-Webhook-Signature-Timestamp", True),
        ("X-Zendesk-Webhook-Id", False),
        ("X-Zendesk-Webhook-Invocation-Id", False),
    )

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, secret: str, now: float
    ) -> Delivery:
        return verify_zendesk(headers, body, secret=secret, now=now)


RECEIVER = ZendeskReceiver()
