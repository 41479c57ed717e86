"""How ``serve`` believes the Freshdesk automation webhooks it takes at ``/webhooks/freshdesk``.

Freshdesk's automation webhooks carry no signature of their own: the admin types the shared
secret into a custom header, ``X-Ticketbot-Secret``; a sender that can compute one adds
``X-Ticketbot-Signature: sha256=<hex HMAC-SHA256 of the raw body>``, checked when present.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ..deliveries import Delivery, Refused, body_signature, parse_body

SECRET = "x-ticketbot-secret"  # noqa: S105 - a header's name
SIGNATURE = "x-ticketbot-signature"


def verify_freshdesk(
    headers: Mapping[str, str], body: bytes, *, secret: str, now: float
) -> Delivery:
    """The delivery, if it carries the shared secret (and, when signed, a good signature)."""
    given = headers.get(SECRET)
    if not given:
        raise Refused(401, "unsigned", "no X-Ticketbot-Secret header")
    if not hmac.compare_digest(secret.encode(), given.strip().encode()):
        raise Refused(401, "bad_signature", "X-Ticketbot-Secret is not the shared secret")
    signed = headers.get(SIGNATURE)
    if signed is not None and not hmac.compare_digest(
        body_signature(secret, body).encode(), signed.strip().lower().encode()
    ):
        raise Refused(401, "bad_signature", "X-Ticketbot-Signature does not match the body")
    ticket_id, event = parse_body(body)
    return Delivery("freshdesk", ticket_id, event, now)


class FreshdeskReceiver:
    """``WebhookReceiver`` for Freshdesk."""

    label = "Freshdesk"
    headers = (("X-Ticketbot-Secret", True), ("X-Ticketbot-Signature", False))

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, secret: str, now: float
    ) -> Delivery:
        return verify_freshdesk(headers, body, secret=secret, now=now)


RECEIVER = FreshdeskReceiver()
