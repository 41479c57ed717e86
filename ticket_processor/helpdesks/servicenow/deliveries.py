"""How ``serve`` believes the business rule's calls it takes at ``/webhooks/servicenow``.

The rule (``webhooks.py``) signs each body with the shared secret:
``X-Ticketbot-Signature: sha256=<hex HMAC-SHA256 of the raw body>``. An unsigned or mis-signed
call is refused. The body is the shared shape (``{"ticket_id", "event"}``); the ``table`` and
``sys_id`` the rule adds are not needed (the id is the number's digits).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ..deliveries import Delivery, Refused, body_signature, parse_body

SIGNATURE = "x-ticketbot-signature"


def verify_servicenow(
    headers: Mapping[str, str], body: bytes, *, secret: str, now: float
) -> Delivery:
    """The delivery, if its signature is the body's under the shared secret."""
    signed = headers.get(SIGNATURE)
    if not signed:
        raise Refused(401, "unsigned", "no X-Ticketbot-Signature header")
    expected = body_signature(secret, body)
    if not hmac.compare_digest(expected.encode(), signed.strip().lower().encode()):
        raise Refused(401, "bad_signature", "X-Ticketbot-Signature does not match the body")
    ticket_id, event = parse_body(body)
    # No ``signature`` for de-duplication: the body carries no time, so two replies to one
    # record sign alike and would be taken for one delivery sent twice.
    return Delivery("servicenow", ticket_id, event, now)


class ServiceNowReceiver:
    """``WebhookReceiver`` for ServiceNow."""

    label = "ServiceNow"
    headers = (("X-Ticketbot-Signature", True),)

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, secret: str, now: float
    ) -> Delivery:
        return verify_servicenow(headers, body, secret=secret, now=now)


RECEIVER = ServiceNowReceiver()
