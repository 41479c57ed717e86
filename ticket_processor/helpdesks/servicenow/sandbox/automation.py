"""The ServiceNow sandbox's webhooks: what an admin's business rule sends when a task is
inserted or updated.

On an instance the rule (after insert/update, async, on ``incident`` or
``sn_customerservice_case``) builds a ``sn_ws.RESTMessageV2`` and POSTs to ticketbot's
``/webhooks/servicenow``; here ``POST /sandbox/webhooks`` takes the rule: ``{"url", "secret",
"table"?: "incident", "events"?: ["created", "reply", "updated"]}`` (``GET`` lists the rules
without their secrets, ``DELETE`` removes them). Each matching write POSTs
``{"ticket_id": 10001, "event": "...", "table": "...", "sys_id": "..."}`` (the number's digits)
signed in ``X-Ticketbot-Signature: sha256=<hex HMAC-SHA256 of the body>``, once: an async
RESTMessageV2 is not retried.

Events: an insert is ``created``; a comment by the caller (the case's contact) is ``reply``;
any other write is ``updated``, but for one that adds a work note and no comment (an agent's
internal note, which wakes nothing on the other helpdesks either). Writes by the API user send
nothing, as the rule's condition ("updated by is not the integration user") keeps ticketbot
from waking itself; a work note is recorded to the millisecond for the latency figures.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from typing import Any
from urllib.parse import urlsplit

import orjson

from ....sandbox.deliveries import Dispatcher, Outgoing, ScheduledRetry
from .store import Record
from .tables import NUMBERING, TASK_TABLES

EVENTS = ("created", "reply", "updated")
_MAX_RULES = 20
_REQUESTER = {"incident": "caller_id", "sn_customerservice_case": "contact"}


class BusinessRuleError(ValueError):
    """A ``/sandbox/webhooks`` body the sandbox cannot take; the message says why."""


class BusinessRules:
    """The webhook rules and the deliveries they cause; thread-safe."""

    def __init__(self, api_user: str, dispatcher: Dispatcher | None = None) -> None:
        self.api_user = api_user
        self.dispatcher = dispatcher or Dispatcher()
        self._lock = threading.Lock()
        self._rules: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add_rule(self, spec: object) -> dict[str, Any]:
        rule = _rule(spec)
        with self._lock:
            if len(self._rules) >= _MAX_RULES:
                raise BusinessRuleError(f"at most {_MAX_RULES} webhook rules")
            rule["id"] = next(self._ids)
            self._rules.append(rule)
            return _shown(rule)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_shown(r) for r in self._rules]

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def observe(self, change: str, table: str, row: Record, notes: Record, user_id: str) -> None:
        """A write of the store (``insert`` or ``update``) by the user ``user_id`` (a sys_id),
        with the journal entries it carried."""
        if table not in TASK_TABLES or table not in NUMBERING or not row.get("number"):
            return
        ticket_id = int("".join(c for c in row["number"] if c.isdigit()))
        if change == "insert":
            self.dispatcher.ticket_created(ticket_id)
        if notes.get("work_notes"):
            self.dispatcher.note_added(ticket_id)
        if row.get("sys_updated_by") == self.api_user:
            return
        if change == "update" and notes.get("work_notes") and not notes.get("comments"):
            return  # an agent's internal note asks nothing of ticketbot (the rule skips it)
        if change == "insert":
            event = "created"
        elif notes.get("comments") and user_id and user_id == row.get(_REQUESTER.get(table, "")):
            event = "reply"
        else:
            event = "updated"
        body = orjson.dumps(
            {"ticket_id": ticket_id, "event": event, "table": table, "sys_id": row["sys_id"]}
        )
        with self._lock:
            for rule in self._rules:
                if rule["table"] != table or event not in rule["events"]:
                    continue
                digest = hmac.new(rule["secret"].encode(), body, hashlib.sha256).hexdigest()
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "ServiceNow/1.0",
                    "X-Ticketbot-Signature": f"sha256={digest}",
                }
                policy = ScheduledRetry((), rule["timeout"])
                meta = {"rule_id": rule["id"], "ticket_id": ticket_id, "event": event}
                self.dispatcher.send(Outgoing(rule["url"], body, headers, policy, meta))

    def close(self) -> None:
        self.dispatcher.close()


def _rule(spec: object) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise BusinessRuleError('the body must be {"url", "secret", "table", "events"}')
    unknown = set(spec) - {"url", "secret", "table", "events", "timeout"}
    if unknown:
        raise BusinessRuleError(f"unknown field(s): {', '.join(sorted(unknown))}")
    url = spec.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BusinessRuleError("url must be an http(s) URL")
    secret = spec.get("secret")
    if not isinstance(secret, str) or not secret:
        raise BusinessRuleError("secret must be a non-empty string (the key the rule signs with)")
    table = spec.get("table", "incident")
    if table not in _REQUESTER:
        raise BusinessRuleError(f"table must be one of {', '.join(_REQUESTER)}")
    events = spec.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise BusinessRuleError(f"events must list some of {', '.join(EVENTS)}")
    timeout = spec.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise BusinessRuleError("timeout must be a number of seconds in (0, 60]")
    return {
        "url": url,
        "secret": secret,
        "table": table,
        "events": list(dict.fromkeys(events)),
        "timeout": float(timeout),
    }


def _shown(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k != "secret"}
