"""The sandbox's webhooks and triggers: what an admin sets up so that Zendesk calls a URL when a
ticket is created or its requester comments, and the signed requests that follow.

Webhooks (``POST /api/v2/webhooks``) get Zendesk's string ids (26 characters, ``01…``) and a
signing secret each; triggers (``POST /api/v2/triggers``) keep their conditions and a
``notification_webhook`` action whose value is ``[webhook id, JSON body template]``. The store
hands every write to ``observe`` (under its lock); each active trigger whose conditions hold, in
position order, renders its body (``{{ticket.id}}`` and a few more placeholders, escaped for a
JSON string) and queues a delivery, signed as Zendesk signs: ``X-Zendesk-Webhook-Signature`` is
base64(HMAC-SHA256(secret, timestamp + body)) with the timestamp in
``X-Zendesk-Webhook-Signature-Timestamp``, and retried as Zendesk retries
(``sandbox/deliveries.ZendeskRetry``; its read timeout and backoff are the config's knobs).

Conditions evaluated: ``update_type`` (Create / Change), ``comment_is_public``, ``role`` (who
made the write: ``end_user`` or ``agent``), ``status``, ``priority`` and ``current_tags``; any
other field is refused with a 422 rather than silently never matching. Actions:
``notification_webhook`` only. Webhooks and triggers live in memory (the state file keeps
tickets). Signing secrets and authentication data are never shown by the listings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ....sandbox.deliveries import Dispatcher, Outgoing, ZendeskRetry
from ....sandbox.httpbase import ApiError
from .config import record_invalid
from .records import PRIORITY_RANK, STATUS_RANK, iso
from .ticket_events import TicketChange

SUBSCRIPTION = "conditional_ticket_events"
ACCOUNT_ID = "1"
FIRST_TRIGGER_ID = 360_000_001
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_.]+)\s*\}\}")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_AUTH_TYPES = {"basic_auth": ("username", "password"), "bearer_token": ("token",)}
_AUTH_TYPES["api_key"] = ("name", "value")
_OPERATORS: dict[str, tuple[str, ...]] = {
    "update_type": ("is", "is_not"),
    "comment_is_public": ("is", "is_not"),
    "role": ("is", "is_not"),
    "status": ("is", "is_not", "less_than", "greater_than"),
    "priority": ("is", "is_not", "less_than", "greater_than"),
    "current_tags": ("includes", "not_includes"),
}


def new_webhook_id(now: float) -> str:
    """A ULID as Zendesk's webhook ids are: 48 bits of milliseconds, 80 random bits, base 32."""
    value = (int(now * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's webhook signature: base64 of HMAC-SHA256(secret, timestamp + body)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def webhook_error(status: int, code: str, detail: str, pointer: str | None = None) -> ApiError:
    """The Webhooks API's error envelope (``{"errors": [{code, title, detail, source}]}``)."""
    error: dict[str, Any] = {"code": code, "title": code, "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return ApiError(status, {"errors": [error]})


def _invalid(detail: str, pointer: str) -> ApiError:
    return webhook_error(400, "InvalidValue", detail, pointer)


def _trigger_invalid(detail: str) -> ApiError:
    return record_invalid({"base": [{"description": detail, "error": "InvalidValue"}]})


class Automation:
    """Webhooks, triggers and the deliveries they cause; thread-safe."""

    def __init__(
        self,
        *,
        base_url: Callable[[], str],
        now: Callable[[], float],
        policy: Callable[[], ZendeskRetry] = ZendeskRetry,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self._base = base_url
        self._now = now
        self._policy = policy
        self.dispatcher = dispatcher or Dispatcher()
        self._lock = threading.Lock()
        self._webhooks: dict[str, dict[str, Any]] = {}
        self._secrets: dict[str, str] = {}
        self._auth: dict[str, dict[str, Any]] = {}
        self._triggers: dict[int, dict[str, Any]] = {}
        self._next_trigger = FIRST_TRIGGER_ID

    # --- webhooks ----------------------------------------------------------------------

    def create_webhook(self, spec: object) -> dict[str, Any]:
        fields, auth = _webhook_fields(spec)
        now = iso(self._now())
        with self._lock:
            webhook_id = new_webhook_id(time.time())
            record = {"id": webhook_id, **fields, "created_at": now, "created_by": "1"}
            record.update(updated_at=now, updated_by="1")
            self._webhooks[webhook_id] = record
            self._secrets[webhook_id] = secrets.token_urlsafe(32)
            if auth is not None:
                self._auth[webhook_id] = auth
            return _shown(record, auth)

    def update_webhook(self, webhook_id: str, spec: object) -> None:
        fields, auth = _webhook_fields(spec)
        with self._lock:
            record = self._find(webhook_id)
            record.update(fields, updated_at=iso(self._now()))
            if auth is not None:
                self._auth[webhook_id] = auth
            else:
                self._auth.pop(webhook_id, None)

    def webhook(self, webhook_id: str) -> dict[str, Any]:
        with self._lock:
            return _shown(self._find(webhook_id), self._auth.get(webhook_id))

    def webhooks(self, name_contains: str = "", status: str = "") -> list[dict[str, Any]]:
        with self._lock:
            return [
                _shown(w, self._auth.get(w["id"]))
                for w in self._webhooks.values()
                if name_contains.lower() in w["name"].lower() and status in ("", w["status"])
            ]

    def delete_webhook(self, webhook_id: str) -> None:
        with self._lock:
            self._find(webhook_id)
            del self._webhooks[webhook_id]
            self._secrets.pop(webhook_id, None)
            self._auth.pop(webhook_id, None)

    def signing_secret(self, webhook_id: str, *, reset: bool = False) -> dict[str, str]:
        with self._lock:
            self._find(webhook_id)
            if reset:
                self._secrets[webhook_id] = secrets.token_urlsafe(32)
            return {"algorithm": "SHA256", "secret": self._secrets[webhook_id]}

    def _find(self, webhook_id: str) -> dict[str, Any]:
        record = self._webhooks.get(webhook_id)
        if record is None:
            raise webhook_error(404, "WebhookNotFound", f"Webhook {webhook_id} not found")
        return record

    # --- triggers ----------------------------------------------------------------------

    def create_trigger(self, spec: object) -> dict[str, Any]:
        with self._lock:
            fields = self._trigger_fields(spec)
            trigger_id = self._next_trigger
            self._next_trigger += 1
            now = iso(self._now())
            record = {
                "id": trigger_id,
                "url": f"{self._base()}/api/v2/triggers/{trigger_id}.json",
                "active": True,
                "position": len(self._triggers) + 1,
                "description": "",
                **fields,
                "raw_title": fields["title"],
                "default": False,
                "category_id": None,
                "restriction": None,
                "created_at": now,
                "updated_at": now,
            }
            self._triggers[trigger_id] = record
            return dict(record)

    def update_trigger(self, trigger_id: int, spec: object) -> dict[str, Any]:
        with self._lock:
            record = self._trigger(trigger_id)
            fields = self._trigger_fields(spec)
            record.update(fields, raw_title=fields["title"], updated_at=iso(self._now()))
            return dict(record)

    def trigger(self, trigger_id: int) -> dict[str, Any]:
        with self._lock:
            return dict(self._trigger(trigger_id))

    def triggers(self, active: bool | None = None) -> list[dict[str, Any]]:
        with self._lock:
            chosen = [t for t in self._triggers.values() if active in (None, t["active"])]
        return sorted((dict(t) for t in chosen), key=lambda t: (t["position"], t["id"]))

    def delete_trigger(self, trigger_id: int) -> None:
        with self._lock:
            self._trigger(trigger_id)
            del self._triggers[trigger_id]

    def _trigger(self, trigger_id: int) -> dict[str, Any]:
        record = self._triggers.get(trigger_id)
        if record is None:
            raise ApiError(404, {"error": "RecordNotFound", "description": "Not found"})
        return record

    def _trigger_fields(self, spec: object) -> dict[str, Any]:
        """A trigger's fields from a request (``{"trigger": {...}}``), or the 422 saying why not."""
        if not isinstance(spec, dict) or not isinstance(spec.get("trigger"), dict):
            raise _trigger_invalid('the request body must be {"trigger": {...}}')
        trigger = spec["trigger"]
        title = trigger.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _trigger_invalid("Title: cannot be blank")
        conditions = trigger.get("conditions")
        if conditions is None:  # the legacy form: "all" and "any" at the top
            conditions = {"all": trigger.get("all") or [], "any": trigger.get("any") or []}
        if not isinstance(conditions, dict):
            raise _trigger_invalid("conditions must be an object with all / any lists")
        checked = {
            "all": [_condition(c) for c in _listed(conditions.get("all"))],
            "any": [_condition(c) for c in _listed(conditions.get("any"))],
        }
        if not checked["all"] and not checked["any"]:
            raise _trigger_invalid("Conditions: a trigger needs at least one condition")
        actions = [self._action(a) for a in _listed(trigger.get("actions"))]
        if not actions:
            raise _trigger_invalid("Actions: cannot be blank")
        fields: dict[str, Any] = {"title": title, "conditions": checked, "actions": actions}
        if "active" in trigger:
            fields["active"] = bool(trigger["active"])
        if isinstance(trigger.get("position"), int):
            fields["position"] = trigger["position"]
        if isinstance(trigger.get("description"), str):
            fields["description"] = trigger["description"]
        return fields

    def _action(self, action: object) -> dict[str, Any]:
        if not isinstance(action, dict) or action.get("field") != "notification_webhook":
            raise _trigger_invalid(
                "the sandbox runs notification_webhook actions only "
                '({"field": "notification_webhook", "value": [webhook id, JSON body]})'
            )
        value = action.get("value")
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, str) for v in value)
        ):
            raise _trigger_invalid("notification_webhook's value must be [webhook id, JSON body]")
        webhook_id, template = value
        webhook = self._webhooks.get(webhook_id)
        if webhook is None or SUBSCRIPTION not in webhook["subscriptions"]:
            raise _trigger_invalid(
                f"webhook {webhook_id} does not exist or is not subscribed to {SUBSCRIPTION}"
            )
        try:
            json.loads(_PLACEHOLDER.sub("1", template))
        except ValueError:
            raise _trigger_invalid("the webhook's JSON body is not valid JSON") from None
        return {"field": "notification_webhook", "value": [webhook_id, template]}

    # --- what a ticket write sets off ------------------------------------------------------

    def observe(self, change: TicketChange) -> None:
        """Record the write's moment and queue the deliveries of the triggers it meets."""
        ticket_id = int(change.after["id"])
        if change.before is None:
            self.dispatcher.ticket_created(ticket_id)
        comment = change.comment
        if comment is not None and not comment["public"] and change.role == "agent":
            self.dispatcher.note_added(ticket_id)
        with self._lock:
            fired = [
                (trigger, action)
                for trigger in sorted(self._triggers.values(), key=lambda t: t["position"])
                if trigger["active"] and _holds(trigger["conditions"], change)
                for action in trigger["actions"]
            ]
            for trigger, action in fired:
                self._deliver(trigger, action, change)

    def _deliver(
        self, trigger: dict[str, Any], action: dict[str, Any], change: TicketChange
    ) -> None:
        webhook_id, template = action["value"]
        webhook = self._webhooks.get(webhook_id)
        if webhook is None or webhook["status"] != "active":
            return
        body = render(template, change.after).encode()
        timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        invocation = new_webhook_id(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": ACCOUNT_ID,
            "X-Zendesk-Webhook-Id": webhook_id,
            "X-Zendesk-Webhook-Invocation-Id": invocation,
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Signature": signature(self._secrets[webhook_id], timestamp, body),
            **webhook.get("custom_headers", {}),
            **_auth_headers(self._auth.get(webhook_id)),
        }
        meta = {"webhook_id": webhook_id, "trigger_id": trigger["id"]}
        meta["ticket_id"] = change.after["id"]
        self.dispatcher.send(
            Outgoing(webhook["endpoint"], body, headers, self._policy(), meta, invocation)
        )

    def close(self) -> None:
        self.dispatcher.close()


def render(template: str, ticket: dict[str, Any]) -> str:
    """The body with its placeholders filled, each value escaped as inside a JSON string
    (``"{{ticket.id}}"`` becomes ``"123"``, a bare ``{{ticket.id}}`` the number); unknown
    placeholders render empty, as Zendesk's do."""
    values = {
        "ticket.id": ticket["id"],
        "ticket.title": ticket.get("subject") or "",
        "ticket.status": ticket.get("status") or "",
        "ticket.priority": ticket.get("priority") or "",
        "ticket.tags": " ".join(ticket.get("tags") or []),
        "ticket.url": ticket.get("url") or "",
        "ticket.requester.id": ticket.get("requester_id") or "",
    }

    def fill(match: re.Match[str]) -> str:
        return json.dumps(str(values.get(match.group(1), "")))[1:-1]

    return _PLACEHOLDER.sub(fill, template)


def _listed(value: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _trigger_invalid("conditions and actions must be lists")
    return value


def _condition(condition: object) -> dict[str, Any]:
    if not isinstance(condition, dict):
        raise _trigger_invalid("a condition is {field, operator, value}")
    name, operator = condition.get("field"), condition.get("operator")
    allowed = _OPERATORS.get(str(name))
    if allowed is None:
        raise _trigger_invalid(
            f"condition field {name!r} is not one the sandbox evaluates ({', '.join(_OPERATORS)})"
        )
    if operator not in allowed:
        raise _trigger_invalid(f"condition {name}: operator must be one of {', '.join(allowed)}")
    return {"field": name, "operator": operator, "value": condition.get("value")}


def _holds(conditions: dict[str, list[dict[str, Any]]], change: TicketChange) -> bool:
    every = all(_meets(c, change) for c in conditions["all"])
    return every and (not conditions["any"] or any(_meets(c, change) for c in conditions["any"]))


def _meets(condition: dict[str, Any], change: TicketChange) -> bool:
    name, operator, wanted = condition["field"], condition["operator"], condition["value"]
    ticket = change.after
    actual: str
    if name == "current_tags":
        tags = set(str(wanted or "").lower().split())
        present = bool(tags & set(ticket["tags"]))
        return present if operator == "includes" else not present
    if name in ("status", "priority") and operator in ("less_than", "greater_than"):
        rank = STATUS_RANK if name == "status" else PRIORITY_RANK
        place, bound = rank.get(ticket.get(name) or ""), rank.get(str(wanted))
        if place is None or bound is None:
            return False
        return place < bound if operator == "less_than" else place > bound
    if name == "update_type":
        actual = "create" if change.before is None else "change"
    elif name == "comment_is_public":
        comment = change.comment
        actual = "not_relevant" if comment is None else str(bool(comment["public"])).lower()
        if str(wanted).lower() == "requester_can_see_comment":
            wanted = "true"
    elif name == "role":
        actual = change.role
    else:
        actual = str(ticket.get(name) or "")
    same = actual == str(wanted).lower()
    return same if operator == "is" else not same


def _webhook_fields(spec: object) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A webhook's public fields and its authentication (kept apart: it holds credentials)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("webhook"), dict):
        raise _invalid('the request body must be {"webhook": {...}}', "/webhook")
    hook = spec["webhook"]
    name = hook.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid("name is required", "/webhook/name")
    endpoint = hook.get("endpoint")
    parts = urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("endpoint must be an http(s) URL", "/webhook/endpoint")
    if hook.get("http_method", "POST") != "POST":
        raise _invalid("the sandbox's webhooks send POST only", "/webhook/http_method")
    if hook.get("request_format", "json") != "json":
        raise _invalid("the sandbox's webhooks send JSON only", "/webhook/request_format")
    status = hook.get("status", "active")
    if status not in ("active", "inactive"):
        raise _invalid("status must be active or inactive", "/webhook/status")
    subscriptions = hook.get("subscriptions", [SUBSCRIPTION])
    if subscriptions != [SUBSCRIPTION]:
        raise _invalid(
            f"the sandbox's webhooks take subscriptions [{SUBSCRIPTION!r}] only",
            "/webhook/subscriptions",
        )
    headers = hook.get("custom_headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise _invalid("custom_headers must map names to strings", "/webhook/custom_headers")
    fields = {
        "name": name,
        "description": str(hook.get("description") or ""),
        "status": status,
        "subscriptions": list(subscriptions),
        "endpoint": endpoint,
        "http_method": "POST",
        "request_format": "json",
        "custom_headers": dict(headers),
    }
    return fields, _authentication(hook.get("authentication"))


def _authentication(auth: object) -> dict[str, Any] | None:
    if auth is None:
        return None
    if not isinstance(auth, dict) or auth.get("type") not in _AUTH_TYPES:
        raise _invalid(
            f"authentication type must be one of {', '.join(_AUTH_TYPES)}",
            "/webhook/authentication/type",
        )
    data = auth.get("data")
    needed = _AUTH_TYPES[str(auth["type"])]
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in needed):
        raise _invalid(
            f"authentication data needs {', '.join(needed)}", "/webhook/authentication/data"
        )
    return {"type": auth["type"], "add_position": "header", "data": dict(data)}


def _shown(record: dict[str, Any], auth: dict[str, Any] | None) -> dict[str, Any]:
    """A webhook as the API answers it: authentication without its credentials."""
    shown = dict(record)
    if auth is not None:
        shown["authentication"] = {"type": auth["type"], "add_position": auth["add_position"]}
    return shown


def _auth_headers(auth: dict[str, Any] | None) -> dict[str, str]:
    if auth is None:
        return {}
    data = auth["data"]
    if auth["type"] == "basic_auth":
        pair = f"{data['username']}:{data['password']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if auth["type"] == "bearer_token":
        return {"Authorization": f"Bearer {data['token']}"}
    return {str(data["name"]): str(data["value"])}
