"""Zendesk's side of ``ticketbot serve``: one webhook and two triggers that call it.

The webhook (``POST /api/v2/webhooks``, subscribed to ``conditional_ticket_events``) points at
``serve``'s ``/webhooks/zendesk``; Zendesk signs each call with the webhook's signing secret
(``GET /api/v2/webhooks/{id}/signing_secret``), which ``serve`` checks as
``TICKETBOT_SERVE_SECRET``. The triggers "ticket is created" and "a public comment by the
requester" (an end user, on an update) each have a ``notification_webhook`` action whose JSON body
names the ticket: ``{"ticket_id": "{{ticket.id}}", "event": "created"}`` (``"reply"``).

``instructions`` prints the three request bodies; ``apply`` makes them through the API, finding
existing ones by name (the webhook) and title (the triggers), so running it twice changes
nothing and running it with a new URL moves the webhook. It speaks the same transport as the
client (``wire.ZendeskTransport``); creating webhooks needs an admin's token.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from ...common.helpdesk_settings import HelpdeskSettings
from ..webhook_setup import SetupReport
from .kind import ZendeskSettings
from .reads import paged
from .wire import ZendeskTransport

WEBHOOK_NAME = "ticketbot"
SUBSCRIPTION = "conditional_ticket_events"
CREATED_TITLE = "ticketbot: ticket created"
REPLY_TITLE = "ticketbot: requester replied"
_ID_PLACEHOLDER = "<the webhook's id>"

ON_CREATE: dict[str, list[dict[str, str]]] = {
    "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
    "any": [],
}
ON_REPLY: dict[str, list[dict[str, str]]] = {
    "all": [
        {"field": "update_type", "operator": "is", "value": "Change"},
        {"field": "comment_is_public", "operator": "is", "value": "true"},
        {"field": "role", "operator": "is", "value": "end_user"},
    ],
    "any": [],
}


def body_template(event: str) -> str:
    """The JSON a trigger sends; Zendesk renders the placeholder into a string (``"123"``)."""
    return '{"ticket_id": "{{ticket.id}}", "event": "%s"}' % event  # noqa: UP031 - {{ }} stay


def webhook_body(endpoint: str) -> dict[str, Any]:
    """``POST /api/v2/webhooks``'s body."""
    return {
        "webhook": {
            "name": WEBHOOK_NAME,
            "description": "ticketbot serve: triage a ticket seconds after it is created",
            "endpoint": endpoint,
            "http_method": "POST",
            "request_format": "json",
            "status": "active",
            "subscriptions": [SUBSCRIPTION],
        }
    }


def trigger_bodies(webhook_id: str) -> list[dict[str, Any]]:
    """``POST /api/v2/triggers``'s bodies: ticket created, and the requester's public reply."""
    return [
        {
            "trigger": {
                "title": title,
                "description": description,
                "active": True,
                "conditions": conditions,
                "actions": [
                    {"field": "notification_webhook", "value": [webhook_id, body_template(event)]}
                ],
            }
        }
        for title, description, conditions, event in (
            (CREATED_TITLE, "Tell ticketbot serve a ticket was created", ON_CREATE, "created"),
            (REPLY_TITLE, "Tell ticketbot serve the requester replied", ON_REPLY, "reply"),
        )
    ]


class ZendeskWebhookSetup:
    """``WebhookSetup`` for Zendesk."""

    chooses_secret = True

    def instructions(self, endpoint: str, *, secret_set: bool) -> str:
        created, reply = trigger_bodies(_ID_PLACEHOLDER)
        secret_step = (
            "TICKETBOT_SERVE_SECRET is set: it must be this signing secret."
            if secret_set
            else "Put it in TICKETBOT_SERVE_SECRET (.env or the environment) before starting serve."
        )
        return "\n".join(
            [
                "Zendesk: one webhook and two triggers (an admin's token; or run",
                "`ticketbot serve --print-setup --apply` to create them through the API).",
                "",
                "1. The webhook (Admin Center > Apps and integrations > Webhooks):",
                "   POST /api/v2/webhooks",
                _pretty(webhook_body(endpoint)),
                "",
                "2. Its signing secret (the webhook's page > Reveal secret):",
                "   GET /api/v2/webhooks/<the webhook's id>/signing_secret",
                f"   {secret_step}",
                "",
                f'3. The trigger "{CREATED_TITLE}" (Objects and rules > Triggers):',
                "   POST /api/v2/triggers",
                _pretty(created),
                "",
                f'4. The trigger "{REPLY_TITLE}":',
                "   POST /api/v2/triggers",
                _pretty(reply),
            ]
        )

    def apply(self, desk: HelpdeskSettings, endpoint: str, secret: str | None) -> SetupReport:
        if not isinstance(desk, ZendeskSettings):
            raise TypeError("the Zendesk webhook set-up needs Zendesk's settings")
        desk.require()
        token, oauth = desk.zendesk_api_token, desk.zendesk_oauth_token
        http = ZendeskTransport(
            desk.base_url,
            email=desk.zendesk_email,
            api_token=token.get_secret_value() if token else None,
            oauth_token=oauth.get_secret_value() if oauth else None,
        )
        try:
            return _apply(http, endpoint, secret)
        finally:
            http.close()


SETUP = ZendeskWebhookSetup()


def _pretty(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2)


def _apply(http: ZendeskTransport, endpoint: str, secret: str | None) -> SetupReport:
    report = SetupReport()
    wanted = webhook_body(endpoint)["webhook"]
    existing = _find_webhook(http)
    if existing is None:
        made = http.request("POST", "/api/v2/webhooks", json={"webhook": wanted}, replay_safe=False)
        webhook_id = str(made["webhook"]["id"])
        report.done.append(f"webhook {WEBHOOK_NAME!r}: created ({webhook_id})")
    else:
        webhook_id = str(existing["id"])
        keys = ("endpoint", "status", "subscriptions", "http_method", "request_format")
        if any(existing.get(k) != wanted[k] for k in keys):
            path = f"/api/v2/webhooks/{webhook_id}"
            http.request("PUT", path, json={"webhook": wanted}, replay_safe=False)
            report.done.append(f"webhook {WEBHOOK_NAME!r}: updated ({webhook_id})")
        else:
            report.done.append(f"webhook {WEBHOOK_NAME!r}: kept ({webhook_id})")
    answer = http.request("GET", f"/api/v2/webhooks/{webhook_id}/signing_secret")
    report.secret = str(answer["signing_secret"]["secret"])
    if secret is not None:
        report.secret_matches = hmac.compare_digest(secret.encode(), report.secret.encode())
    triggers = {t.get("title"): t for t in paged(http, "/api/v2/triggers", "triggers")}
    for body in trigger_bodies(webhook_id):
        wanted_trigger = body["trigger"]
        title = wanted_trigger["title"]
        found = triggers.get(title)
        if found is None:
            made = http.request("POST", "/api/v2/triggers", json=body, replay_safe=False)
            report.done.append(f"trigger {title!r}: created ({made['trigger']['id']})")
        elif _same_trigger(found, wanted_trigger):
            report.done.append(f"trigger {title!r}: kept ({found['id']})")
        else:
            http.request("PUT", f"/api/v2/triggers/{found['id']}", json=body, replay_safe=False)
            report.done.append(f"trigger {title!r}: updated ({found['id']})")
    return report


def _find_webhook(http: ZendeskTransport) -> dict[str, Any] | None:
    """The webhook named ``ticketbot``, following the cursor pages of the filtered list."""
    path: str | None = "/api/v2/webhooks"
    params: dict[str, Any] | None = {"filter[name_contains]": WEBHOOK_NAME, "page[size]": 100}
    while path is not None:
        body = http.request("GET", path, params=params)
        for hook in body.get("webhooks") or []:
            if isinstance(hook, dict) and hook.get("name") == WEBHOOK_NAME:
                return hook
        meta, links = body.get("meta") or {}, body.get("links") or {}
        path = http.local_path(links.get("next")) if meta.get("has_more") else None
        params = None
    return None


def _same_trigger(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    conditions = found.get("conditions") or {}
    same_conditions = all(
        (conditions.get(part) or []) == wanted["conditions"][part] for part in ("all", "any")
    )
    return (
        bool(found.get("active", True))
        and same_conditions
        and (found.get("actions") == wanted["actions"])
    )
