"""How Tinydesk signs the webhook calls ``serve`` takes at ``/webhooks/tinydesk``: the shared
secret in ``X-Tinydesk-Secret``."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ticket_processor.helpdesks.deliveries import Delivery, Refused, parse_body

HEADER = "X-Tinydesk-Secret"


class TinydeskReceiver:
    label = "Tinydesk"
    headers = ((HEADER, True),)

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, secret: str, now: float
    ) -> Delivery:
        given = headers.get(HEADER.lower()) or headers.get(HEADER)
        if not given:
            raise Refused(401, "unsigned", f"no {HEADER} header")
        if not hmac.compare_digest(secret.encode(), given.strip().encode()):
            raise Refused(401, "bad_signature", f"{HEADER} is not the shared secret")
        ticket_id, event = parse_body(body)
        return Delivery("tinydesk", ticket_id, event, now)


RECEIVER = TinydeskReceiver()
