"""Freshdesk's side of ``ticketbot serve``: two automation rules whose action triggers a webhook.

Freshdesk's automation webhooks carry no signature, so the rule sends the shared secret
(``TICKETBOT_SERVE_SECRET``) in a custom header, ``X-Ticketbot-Secret``, which ``serve`` compares
in constant time. One rule on ticket creation, one on a reply sent by the requester; each POSTs
``{"ticket_id": {{ticket.id}}, "event": "created"}`` (``"reply"``): Freshdesk renders the
placeholder raw, so the id arrives as a number.

Freshdesk's API cannot create automation rules: an admin sets them in the admin UI, and
``instructions`` says exactly what to type. ``apply`` works against ticketbot's own Freshdesk
sandbox only, through its documented knob (``POST /sandbox/webhooks``), so the demo and the
tests run the same path; against a real Freshdesk it says to follow the instructions.
"""

from __future__ import annotations

import json

from ...common.helpdesk_settings import HelpdeskSettings
from ..webhook_setup import SetupNotPossible, SetupReport
from .kind import FreshdeskSettings
from .wire import FreshdeskTransport

SECRET_HEADER = "X-Ticketbot-Secret"  # noqa: S105 - a header name
CREATED_RULE = "ticketbot: ticket created"
REPLY_RULE = "ticketbot: requester replied"


def body_template(event: str) -> str:
    """The JSON a rule sends; Freshdesk renders ``{{ticket.id}}`` raw (a number)."""
    return '{"ticket_id": {{ticket.id}}, "event": "%s"}' % event  # noqa: UP031 - {{ }} stay


class FreshdeskWebhookSetup:
    """``WebhookSetup`` for Freshdesk."""

    chooses_secret = False

    def instructions(self, endpoint: str, *, secret_set: bool) -> str:
        headers = json.dumps({SECRET_HEADER: "<the value of TICKETBOT_SERVE_SECRET>"})
        note = (
            ""
            if secret_set
            else "   TICKETBOT_SERVE_SECRET is not set: choose a long random value "
            "(`openssl rand -hex 32`) and set it for serve too."
        )

        def action(event: str) -> list[str]:
            return [
                "   Action: Trigger webhook",
                "     Request type: POST",
                f"     URL: {endpoint}",
                "     Requires authentication: no",
                f"     Custom headers: {headers}",
                "     Encoding: JSON; Content: Advanced",
                f"     Body: {body_template(event)}",
            ]

        lines = [
            "Freshdesk: two automation rules (Admin > Workflows > Automations). Freshdesk's API",
            "cannot create them: set them in the admin UI as below.",
            *([note] if note else []),
            "",
            f'1. Tab "Ticket Creation", new rule "{CREATED_RULE}"',
            "   Conditions: every ticket (for example: Priority is any of Low, Medium, High,",
            "   Urgent)",
            *action("created"),
            "",
            f'2. Tab "Ticket Updates", new rule "{REPLY_RULE}"',
            "   When an action performed by: Requester",
            "   Involves any of these events: Reply is sent",
            *action("reply"),
        ]
        return "\n".join(lines)

    def apply(self, desk: HelpdeskSettings, endpoint: str, secret: str | None) -> SetupReport:
        if not isinstance(desk, FreshdeskSettings):
            raise TypeError("the Freshdesk webhook set-up needs Freshdesk's settings")
        desk.require()
        if not secret:
            raise SetupNotPossible(
                "TICKETBOT_SERVE_SECRET is not set: it is the shared secret the automation "
                "rules send; set it (for serve too), then run this again"
            )
        key = desk.freshdesk_api_key
        http = FreshdeskTransport(desk.base_url, api_key=key.get_secret_value() if key else "")
        try:
            http.request("GET", "/api/v2/agents/me")
            if http.sandbox_kind != "freshdesk":
                raise SetupNotPossible(
                    "Freshdesk's API cannot create automation rules: set the two rules "
                    "`ticketbot serve --print-setup` prints in Admin > Workflows > Automations"
                )
            rule = {"url": endpoint, "secret": secret, "events": ["created", "reply"]}
            http.request("DELETE", "/sandbox/webhooks", replay_safe=False)
            http.request("POST", "/sandbox/webhooks", json={**rule, "sign": True})
        finally:
            http.close()
        return SetupReport(
            done=[f"automation rules {CREATED_RULE!r} and {REPLY_RULE!r}: set (sandbox knob)"]
        )


SETUP = FreshdeskWebhookSetup()
