"""The Freshdesk sandbox's webhooks: what an admin's automation rules send when a ticket is created
or its requester replies.

Freshdesk's automation rules ("Ticket creation": trigger webhook; "Ticket updates", event
"Reply is sent" by a customer: trigger webhook) are set in its admin UI, not through the API, so
the sandbox takes them through a knob of its own: ``POST /sandbox/webhooks`` with ``{"url",
"secret", "events": ["created", "reply"], "sign": true|false}`` (optionally ``"timeout"`` in
seconds and ``"retry_delays"``), ``GET`` lists them (without their secrets), ``DELETE`` removes
them all. Each rule then POSTs ``{"ticket_id": 12, "event": "created"}`` (Freshdesk's
placeholders render raw, so the id is a number) with the shared secret in ``X-Ticketbot-Secret``,
the custom header the admin types into the rule, and, when ``sign`` is on, the body's HMAC in
``X-Ticketbot-Signature: sha256=<hex>``. A failed call is retried 5, 30 and 60 minutes later, as
Freshdesk does (``retry_delays`` shortens that for tests).

The store hands every ticket creation and conversation to ``observe`` under its lock: a
creation is ``created``; a public incoming message from someone who is not an agent (the
requester's reply) is ``reply``; an agent's private note is only recorded, to the millisecond,
for the latency figures.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from typing import Any
from urllib.parse import urlsplit

from ....sandbox.deliveries import Dispatcher, Outgoing, ScheduledRetry

EVENTS = ("created", "reply")
_MAX_RULES = 20


class RuleError(ValueError):
    """A ``/sandbox/webhooks`` body the sandbox cannot take; the message says why."""


class FreshdeskAutomation:
    """The webhook rules and the deliveries they cause; thread-safe."""

    def __init__(self, dispatcher: Dispatcher | None = None) -> None:
        self.dispatcher = dispatcher or Dispatcher()
        self._lock = threading.Lock()
        self._rules: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def add_rule(self, spec: object) -> dict[str, Any]:
        """Add one rule from a ``POST /sandbox/webhooks`` body; ``RuleError`` when it is not one."""
        rule = _rule(spec)
        with self._lock:
            if len(self._rules) >= _MAX_RULES:
                raise RuleError(f"at most {_MAX_RULES} webhook rules")
            rule["id"] = next(self._ids)
            self._rules.append(rule)
            return _shown(rule)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_shown(r) for r in self._rules]

    def clear_rules(self) -> None:
        with self._lock:
            self._rules.clear()

    def observe(
        self, event: str, ticket: dict[str, Any], note: dict[str, Any] | None, agent: bool
    ) -> None:
        """A write of the store: ``event`` is ``created`` or ``note``; ``agent`` whether the
        note's author is an agent."""
        ticket_id = int(ticket["id"])
        if event == "created":
            self.dispatcher.ticket_created(ticket_id)
        elif note is not None and note.get("private") and agent:
            self.dispatcher.note_added(ticket_id)
            return
        elif note is not None and note.get("incoming") and not note.get("private") and not agent:
            event = "reply"
        else:
            return
        body = f'{{"ticket_id": {ticket_id}, "event": "{event}"}}'.encode()
        with self._lock:
            chosen = [r for r in self._rules if event in r["events"]]
            for rule in chosen:
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": "Freshdesk",
                    "X-Ticketbot-Secret": rule["secret"],
                }
                if rule["sign"]:
                    digest = hmac.new(rule["secret"].encode(), body, hashlib.sha256).hexdigest()
                    headers["X-Ticketbot-Signature"] = f"sha256={digest}"
                policy = ScheduledRetry(tuple(rule["retry_delays"]), rule["timeout"])
                meta = {"rule_id": rule["id"], "ticket_id": ticket_id, "event": event}
                self.dispatcher.send(Outgoing(rule["url"], body, headers, policy, meta))

    def close(self) -> None:
        self.dispatcher.close()


def _rule(spec: object) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise RuleError('the body must be {"url", "secret", "events", "sign"}')
    unknown = set(spec) - {"url", "secret", "events", "sign", "timeout", "retry_delays"}
    if unknown:
        raise RuleError(f"unknown field(s): {', '.join(sorted(unknown))}")
    url = spec.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuleError("url must be an http(s) URL")
    secret = spec.get("secret")
    if not isinstance(secret, str) or not secret:
        raise RuleError("secret must be a non-empty string (the rule's custom header)")
    events = spec.get("events", list(EVENTS))
    if not isinstance(events, list) or not events or any(e not in EVENTS for e in events):
        raise RuleError(f"events must list some of {', '.join(EVENTS)}")
    sign = spec.get("sign", False)
    if not isinstance(sign, bool):
        raise RuleError("sign must be true or false")
    timeout = spec.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
        raise RuleError("timeout must be a number of seconds in (0, 60]")
    delays = spec.get("retry_delays", list(ScheduledRetry().delays))
    if (
        not isinstance(delays, list)
        or len(delays) > 5
        or not all(
            isinstance(d, (int, float)) and not isinstance(d, bool) and 0 <= d <= 86_400
            for d in delays
        )
    ):
        raise RuleError("retry_delays must list at most 5 pauses in seconds")
    return {
        "url": url,
        "secret": secret,
        "events": list(dict.fromkeys(events)),
        "sign": sign,
        "timeout": float(timeout),
        "retry_delays": [float(d) for d in delays],
    }


def _shown(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k != "secret"}
