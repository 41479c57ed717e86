"""A stand-in for PagerDuty's Events API v2 (``POST /v2/enqueue``) on 127.0.0.1, port 0.

It checks each event as PagerDuty documents it and refuses a wrong one as PagerDuty does: 400
with ``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``.
Checked: a JSON object of at most 512 KB; ``routing_key`` a string of 32 characters;
``event_action`` one of ``trigger``, ``acknowledge``, ``resolve``; ``dedup_key`` a string of at
most 255 characters, required to acknowledge or resolve; for a trigger, ``payload`` with
``summary`` (at most 1,024 characters), ``source`` and ``severity`` (``critical``, ``error``,
``warning``, ``info``), ``custom_details`` an object if given, and each of ``links`` an object
with an ``href``. An accepted event answers 202 ``{"status": "success", "message": "Event
processed", "dedup_key": ...}`` (a trigger without a key gets a new one, as PagerDuty makes).

The alerts it holds follow the documented de-duplication: a trigger on an open alert's key adds
to it, a resolve closes it, a trigger after that opens a new one. ``fail_next`` answers the next
requests with the statuses listed (429, 500...) before looking at them, as a throttled or
failing PagerDuty would. Errors name fields, never their values (a routing key included).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

MAX_BYTES = 512 * 1024
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class Alert:
    """An alert as PagerDuty keeps it: its key, state and the triggers it took."""

    dedup_key: str
    status: str  # "triggered", "acknowledged" or "resolved"
    summary: str
    triggers: int = 1


@dataclass
class PagerDutyState:
    events: list[dict[str, Any]] = field(default_factory=list)  # accepted, in order
    refused: list[list[str]] = field(default_factory=list)  # the errors of each refused one
    alerts: list[Alert] = field(default_factory=list)  # every alert ever opened
    fail_next: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_alert(self, key: str) -> Alert | None:
        for alert in reversed(self.alerts):
            if alert.dedup_key == key and alert.status != "resolved":
                return alert
        return None


def check_event(body: object) -> list[str]:
    """What is wrong with ``body`` as an Events API v2 event (empty: nothing)."""
    if not isinstance(body, dict):
        return ["Event object must be a JSON object"]
    errors = []
    key = body.get("routing_key")
    if not isinstance(key, str):
        errors.append("'routing_key' is missing or blank")
    elif len(key) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append(
            "'event_action' is missing or invalid (expected trigger, acknowledge, resolve)"
        )
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or not dedup or len(dedup) > 255):
        errors.append("'dedup_key' must be a string of 1 to 255 characters")
    if action in ("acknowledge", "resolve") and dedup is None:
        errors.append(f"'dedup_key' is required to {action}")
    if action == "trigger":
        errors.extend(_check_payload(body.get("payload")))
    links = body.get("links", [])
    if not isinstance(links, list) or not all(
        isinstance(link, dict) and isinstance(link.get("href"), str) for link in links
    ):
        errors.append("'links' must be a list of objects with an 'href'")
    return errors


def _check_payload(payload: object) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    errors = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank")
    elif len(summary) > 1024:
        errors.append("Length of 'payload.summary' is too long (maximum is 1024 characters)")
    source = payload.get("source")
    if not isinstance(source, str) or not source.strip():
        errors.append("'payload.source' is missing or blank")
    if payload.get("severity") not in SEVERITIES:
        errors.append("'payload.severity' is invalid (expected critical, error, warning, info)")
    details = payload.get("custom_details")
    if details is not None and not isinstance(details, dict):
        errors.append("'payload.custom_details' must be an object")
    return errors


class PagerDutyStandin:
    """The stand-in, serving in a thread: ``url`` is its ``/v2/enqueue``; ``close()`` ends it."""

    def __init__(self) -> None:
        self.state = PagerDutyState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with state.lock:
                    if state.fail_next:
                        status = state.fail_next.pop(0)
                        return self._answer(status, {"status": "error", "message": "try again"})
                if self.path != "/v2/enqueue":
                    return self._answer(404, {"status": "error", "message": "Not found"})
                if length > MAX_BYTES:
                    return self._refuse(["Event object is larger than 512 KB"])
                try:
                    body = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return self._refuse(["Event object is not valid JSON"])
                errors = check_event(body)
                if errors:
                    return self._refuse(errors)
                with state.lock:
                    key = _apply(state, body)
                self._answer(
                    202, {"status": "success", "message": "Event processed", "dedup_key": key}
                )

            def _refuse(self, errors: list[str]) -> None:
                with state.lock:
                    state.refused.append(errors)
                body = {"status": "invalid event", "message": "Event object is invalid"}
                self._answer(400, {**body, "errors": errors})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = orjson.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v2/enqueue"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> PagerDutyStandin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply(state: PagerDutyState, body: dict[str, Any]) -> str:
    """Record an accepted event against the alerts; the event's dedup key."""
    state.events.append(body)
    action = body["event_action"]
    key = body.get("dedup_key") or uuid.uuid4().hex
    alert = state.open_alert(key)
    if action == "trigger":
        if alert is None:
            state.alerts.append(Alert(key, "triggered", body["payload"]["summary"]))
        else:
            alert.triggers += 1
    elif alert is not None:
        # An acknowledge or resolve for no open alert is dropped, as PagerDuty does.
        alert.status = "acknowledged" if action == "acknowledge" else "resolved"
    return str(key)
