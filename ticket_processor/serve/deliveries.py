"""What a webhook delivery says, and whether to believe it: pure checks, no I/O.

Zendesk signs each delivery: ``X-Zendesk-Webhook-Signature`` is the base64 HMAC-SHA256, with
the webhook's signing secret, of ``X-Zendesk-Webhook-Signature-Timestamp`` followed by the raw
body. A delivery whose timestamp is more than ``MAX_SKEW`` off is refused (a replay). Its
``X-Zendesk-Webhook-Invocation-Id`` and its signature name it: a retry carries the same.

Freshdesk's automation webhooks carry no signature of their own: the admin types the shared
secret into a custom header, ``X-Ticketbot-Secret``; a sender that can compute one adds
``X-Ticketbot-Signature: sha256=<hex HMAC-SHA256 of the raw body>``, checked when present.

Both bodies are JSON objects with ``ticket_id`` (a number, or a string of digits: Zendesk's
placeholders render into JSON strings) and an optional ``event``: ``created``, ``reply``, else
``updated`` (triage what is new). Every comparison of a secret is constant-time
(``hmac.compare_digest``). A refusal is a ``Refused`` with the HTTP status, a short reason (a
metric label) and a detail for the log that never quotes a secret or a signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import orjson

from ..run.served import Event

Source = Literal["zendesk", "freshdesk"]
SOURCES: tuple[Source, ...] = ("zendesk", "freshdesk")

MAX_SKEW = 300.0  # seconds a Zendesk signature timestamp may be off
MAX_BODY = 64 * 1024  # a delivery names a ticket: a few dozen bytes; 64 KiB is generous
MAX_TICKET_ID = 2**63 - 1

ZENDESK_SIGNATURE = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
ZENDESK_WEBHOOK_ID = "x-zendesk-webhook-id"
ZENDESK_INVOCATION = "x-zendesk-webhook-invocation-id"
FRESHDESK_SECRET = "x-ticketbot-secret"  # noqa: S105 - a header's name
FRESHDESK_SIGNATURE = "x-ticketbot-signature"


class Refused(Exception):
    """A delivery or request refused: ``status`` to answer, ``reason`` to count, ``detail``
    to log (never a secret)."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Delivery:
    """A believed delivery: which ticket, what happened, and what names it for de-duplication
    (``signature``: Zendesk's; ``invocation``: Zendesk's invocation id, with its webhook id)."""

    source: Source
    ticket_id: int
    event: Event
    received_at: float
    signature: str | None = None
    invocation: str | None = None


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    """What Zendesk sends in ``X-Zendesk-Webhook-Signature`` for this timestamp and body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def body_signature(secret: str, body: bytes) -> str:
    """``X-Ticketbot-Signature``'s value for a body: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_zendesk(headers: Mapping[str, str], body: bytes, *, secret: str, now: float) -> Delivery:
    """The delivery, if Zendesk signed it with ``secret`` less than ``MAX_SKEW`` ago."""
    signature = headers.get(ZENDESK_SIGNATURE)
    stamp = headers.get(ZENDESK_TIMESTAMP)
    if not signature or not stamp:
        raise Refused(401, "unsigned", "no X-Zendesk-Webhook-Signature or -Timestamp header")
    expected = zendesk_signature(secret, stamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise Refused(401, "bad_signature", "the signature does not match the signing secret")
    moment = _timestamp(stamp)
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
    webhook = headers.get(ZENDESK_WEBHOOK_ID, "")
    invocation = headers.get(ZENDESK_INVOCATION)
    return Delivery(
        "zendesk",
        ticket_id,
        event,
        now,
        signature=signature.strip(),
        invocation=f"{webhook[:100]}:{invocation[:100]}" if invocation else None,
    )


def verify_freshdesk(
    headers: Mapping[str, str], body: bytes, *, secret: str, now: float
) -> Delivery:
    """The delivery, if it carries the shared secret (and, when signed, a good signature)."""
    given = headers.get(FRESHDESK_SECRET)
    if not given:
        raise Refused(401, "unsigned", "no X-Ticketbot-Secret header")
    if not hmac.compare_digest(secret.encode(), given.strip().encode()):
        raise Refused(401, "bad_signature", "X-Ticketbot-Secret is not the shared secret")
    signed = headers.get(FRESHDESK_SIGNATURE)
    if signed is not None and not hmac.compare_digest(
        body_signature(secret, body).encode(), signed.strip().lower().encode()
    ):
        raise Refused(401, "bad_signature", "X-Ticketbot-Signature does not match the body")
    ticket_id, event = parse_body(body)
    return Delivery("freshdesk", ticket_id, event, now)


def parse_body(body: bytes) -> tuple[int, Event]:
    """``ticket_id`` and ``event`` from a delivery's JSON body; ``Refused`` 400 otherwise."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused(400, "malformed", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "malformed", "the body is not a JSON object")
    return ticket_id_of(data.get("ticket_id")), event_of(data.get("event"))


def ticket_id_of(value: object) -> int:
    """A ticket id: a positive integer, or a string of digits (a rendered placeholder)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value <= MAX_TICKET_ID:
        raise Refused(400, "malformed", "ticket_id is missing or not a positive whole number")
    return value


def event_of(value: object) -> Event:
    if value == "created":
        return "created"
    if value == "reply":
        return "reply"
    return "updated"


def _timestamp(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
