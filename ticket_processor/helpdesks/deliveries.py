"""What a webhook delivery is, whatever the helpdesk, and the checks every kind's shares.

``serve`` takes each kind's deliveries at ``/webhooks/<kind>``; the kind's descriptor names its
``WebhookReceiver`` (``HelpdeskKind.receiver``), which believes a delivery or refuses it. Each
kind's ``deliveries.py`` says how that helpdesk signs its calls; this module holds what they share:
the ``Delivery`` they return, the ``Refused`` they raise, and the body's shape.

Every body is a JSON object with ``ticket_id`` (a number, or a string of digits: Zendesk's
placeholders render into JSON strings) and an optional ``event``: ``created``, ``reply`` or
``updated`` (triage what is new; also what a body without one asks). Any other event
(``deleted``, ``solved``) is refused, not taken as ``updated``: a trigger sending it is set up
for something serve does not do, and the admin hears so in the refusal. Every comparison of a
secret is constant-time (``hmac.compare_digest``). A refusal is a ``Refused`` with the HTTP
status, a short reason (a metric label) and a detail for the log that never quotes a secret or
a signature. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

import orjson

# What a delivery asks for: a new ticket, a requester's reply, or whatever is new.
Event = Literal["created", "reply", "updated"]

MAX_TICKET_ID = 2**63 - 1


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
    """A believed delivery: from which kind (``source``, the kind's name), which ticket, what
    happened, and what names it for de-duplication (``signature``, ``invocation``: what the
    helpdesk sends again unchanged on a retry, where it sends one)."""

    source: str
    ticket_id: int
    event: Event
    received_at: float
    signature: str | None = None
    invocation: str | None = None


class WebhookReceiver(Protocol):
    """A kind's webhook deliveries to ``serve``: how it signs them, and which headers it sends
    (``(name, required)``, for the OpenAPI document)."""

    label: str
    headers: tuple[tuple[str, bool], ...]

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, secret: str, now: float
    ) -> Delivery:
        """The delivery, if ``secret`` vouches for it; ``Refused`` otherwise."""
        ...


def body_signature(secret: str, body: bytes) -> str:
    """``X-Ticketbot-Signature``'s value for a body: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def parse_body(body: bytes) -> tuple[int, Event]:
    """``ticket_id`` and ``event`` from a delivery's JSON body; ``Refused`` 400 otherwise."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refused(400, "malformed", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(400, "malformed", "the body is not a JSON object")
    return ticket_id_of(data.get("ticket_id")), asked_event(data.get("event"))


EVENTS: tuple[Event, ...] = ("created", "reply", "updated")


def asked_event(value: object) -> Event:
    """The event a delivery asks for (none: ``updated``); ``Refused`` 400 for any other."""
    if value is None:
        return "updated"
    for known in EVENTS:
        if value == known:
            return known
    shown = repr(value) if isinstance(value, str | int | float | bool) else type(value).__name__
    raise Refused(
        400,
        "unknown_event",
        f"event {shown[:40]} is not one serve takes ({', '.join(EVENTS)}): change the "
        "webhook's body, or leave this trigger out",
    )


def ticket_id_of(value: object) -> int:
    """A ticket id: a positive integer, or a string of digits (a rendered placeholder)."""
    if isinstance(value, bool):
        value = None
    # ASCII digits only: ``str.isdigit`` also passes "²", which ``int`` then refuses.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,19}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value <= MAX_TICKET_ID:
        raise Refused(400, "malformed", "ticket_id is missing or not a positive whole number")
    return value


def event_of(value: object) -> Event:
    """A stored delivery's event (the queue holds only what ``asked_event`` took)."""
    if value == "created":
        return "created"
    if value == "reply":
        return "reply"
    return "updated"


def timestamp(text: str) -> float | None:
    """An ISO-8601 time (``Z`` or an offset; UTC when it has none) as epoch seconds."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
