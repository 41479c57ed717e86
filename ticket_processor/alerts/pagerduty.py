"""PagerDuty's Events API v2: a trigger per escalation, a resolve when it ends.

The event is the documented one (``POST /v2/enqueue``): ``routing_key`` (the integration key),
``event_action`` (``trigger`` or ``resolve``), ``dedup_key`` and, for a trigger, ``payload``
with ``summary`` (at most 1,024 characters), ``source``, ``severity`` (``critical``, ``error``,
``warning``, ``info``) and ``custom_details``, plus ``links``. PagerDuty answers 202 with
``{"status": "success", "dedup_key": ...}``, 400 with ``{"status": "invalid event", "errors":
[...]}``; 429 and 5xx are worth another try, for the whole channel (``delivery.ChannelGate``).

The dedup key is stable per escalation (``dedup_key``): the helpdesk's address and the ticket's
id, so a second trigger for the same ticket only adds a log entry to the open alert on
PagerDuty's side. ticketbot relies on that only where it cannot know: a process killed between
the post and PagerDuty's 202 posts again on the next run (``outbox``); a page PagerDuty
accepted is never sent again. The routing key is a secret: it is in the body only, never in a
message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson

from .delivery import ChannelAnswer, Poster, Undelivered

SUMMARY_MAX = 1024
DEDUP_MAX = 255
Severity = Literal["critical", "error", "warning", "info"]


def dedup_key(helpdesk_url: str, what: str) -> str:
    """A key stable across runs and processes for ``what`` (``ticket:123``, ``incident:...``)
    on the helpdesk at ``helpdesk_url``; the address is hashed, so the key names no host."""
    account = hashlib.sha256(helpdesk_url.rstrip("/").encode()).hexdigest()[:12]
    return f"ticketbot:{account}:{what}"[:DEDUP_MAX]


@dataclass(frozen=True)
class PagerDuty:
    """Triggers and resolves alerts on one integration (``routing_key``)."""

    routing_key: str
    poster: Poster
    url: str  # TICKETBOT_PAGERDUTY_URL, by default https://events.pagerduty.com/v2/enqueue

    def trigger(
        self,
        key: str,
        summary: str,
        *,
        source: str,
        severity: Severity = "error",
        details: Mapping[str, object] | None = None,
        links: Sequence[tuple[str, str]] = (),
    ) -> Undelivered | None:
        """Open (or add to) the alert ``key``; None when PagerDuty accepted it, else why not."""
        event: dict[str, object] = {
            "routing_key": self.routing_key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {
                "summary": _cut(summary, SUMMARY_MAX),
                "source": source,
                "severity": severity,
                "custom_details": dict(details or {}),
            },
            "client": "ticketbot",
        }
        if links:
            event["links"] = [{"href": href, "text": text} for href, text in links]
        return self._send(event)

    def resolve(self, key: str) -> Undelivered | None:
        """Resolve the alert ``key``; None when PagerDuty accepted it, else why not."""
        return self._send(
            {"routing_key": self.routing_key, "event_action": "resolve", "dedup_key": key}
        )

    def _send(self, event: Mapping[str, object]) -> Undelivered | None:
        answer = self.poster.post(self.url, orjson.dumps(event), {})
        if isinstance(answer, Undelivered):
            return answer
        if answer.status == 202 or 200 <= answer.status < 300:
            return None
        return Undelivered(f"PagerDuty refused the event: HTTP {answer.status}{_errors(answer)}")


def _errors(answer: ChannelAnswer) -> str:
    """PagerDuty's ``errors`` list, which names fields, never their values."""
    try:
        body = orjson.loads(answer.body)
    except orjson.JSONDecodeError:
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return ""
    return " (" + "; ".join(str(e)[:200] for e in errors[:5]) + ")"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
