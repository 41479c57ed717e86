"""The run fingerprint's constants, its normalisation of what varies between runs, and its small
helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

# fp_constants -------------------------------------------------------------------------------------

HELPDESKS = ("zendesk", "freshdesk")
ENGINES = ("rules", "llm")
# Only when asked (``--engine learned``): ``--engine llm`` with no LLM configured, which is a
# default run's engine without one, the bundled learned model.
LEARNED = "learned"
SEED_COUNT = 50
# Environment the child processes must not inherit from the caller (a developer's own
# helpdesk or LLM settings): each scenario sets exactly what it needs.
_ENV_PREFIXES = ("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")
# Zendesk's ticket event export leaves out its last minute: wait this long after a write.
EXPORT_LAG = 63.0
# Gap between two commands, so that second-resolution timestamps tell their writes apart.
GAP = 2.0
TIMEOUT = 180.0

# The fingerprint's routes, custom fields and own tickets (scripts/data/fingerprint/).
FINGERPRINT_DATA = Path(__file__).resolve().parent / "data" / "fingerprint"
ROUTES_TOML = (FINGERPRINT_DATA / "routes.toml").read_text("utf-8")
FIELDS_TOML = (FINGERPRINT_DATA / "fields.toml").read_text("utf-8")
_TICKETS = tomllib.loads((FINGERPRINT_DATA / "tickets.toml").read_text("utf-8"))


def _tickets(part: str) -> tuple[tuple[str, str], ...]:
    """One part of tickets.toml as (subject, text) pairs."""
    return tuple((row["subject"], row["text"]) for row in _TICKETS[part])


PRODUCT_OPTIONS = (
    ("Mobile app", "product_mobile_app"),
    ("Web app", "product_web"),
    ("Desktop client", "product_desktop"),
)

EXTRA_TICKETS = _tickets("extra")
SERVED_TICKETS = _tickets("served")
BACKFILL_TICKETS = _tickets("backfill")
REPLIES = _tickets("replies")
SERVE_SECRET = "whsec-fingerprint-0123456789abcdef"


# fp_normalise -------------------------------------------------------------------------------------

# -- normalisation ----------------------------------------------------------------------------

_RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{4,}\b")
_ISO_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?"
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_LOOPBACK = re.compile(r"https?://(127\.0\.0\.1|localhost):\d+")
_ANSWERS = re.compile(r"\banswers=(\d+)\b")
# The run's summary line: how long it took and what bounded it depend on the machine.
_TIMING = re.compile(r"\b(seconds|bound|llm_in_flight_peak)=\S+")
# Freshdesk lists again the tickets written in the second the last run's cursor stopped at:
# how many of run1's writes fell into its last second is the machine's speed, not behaviour.
_RELISTED = re.compile(r"\bskipped=\d+")
_JOB_POLL = re.compile(r"^GET /api/v2/(job_statuses|jobs)/\{job_id\}")
_BATCHED = re.compile(r"^PUT /api/v2/tickets/update_many$")
_TICKET_REF = re.compile(r"(#|tickets/)(\d+)\b")
_VOLATILE_KEYS = {"ts", "run_id", "time", "timestamp", "pid", "host"}
_VOLATILE_SUFFIXES = ("seconds", "_s", "_at", "_ms")
_TIMING_KEYS = {"bound", "llm_bound", "llm_latency_s", "max_inflight"}


@dataclass
class Normaliser:
    """Text rewritten so that what legitimately differs between runs reads the same."""

    urls: dict[str, str] = field(default_factory=dict)  # base URL -> placeholder
    paths: dict[str, str] = field(default_factory=dict)  # temp path -> placeholder

    def text(self, value: str, answers: Mapping[int, str] | None = None) -> str:
        for url, name in sorted(self.urls.items(), key=lambda kv: -len(kv[0])):
            value = value.replace(url, name)
        for path, name in sorted(self.paths.items(), key=lambda kv: -len(kv[0])):
            value = value.replace(path, name)
        value = _LOOPBACK.sub("<url>", value)
        value = value.replace(f"@{socket.gethostname()}", "@<host>")
        value = _RUN_ID.sub("<run-id>", value)
        value = _TIMING.sub(lambda m: f"{m[1]}=<timing>", value)
        value = _ISO_TIME.sub("<time>", value)
        value = _DATE.sub("<date>", value)
        if answers is not None:
            value = _ANSWERS.sub(lambda m: f"answers={answers.get(int(m[1]), '?')}", value)
        return value

    def value(self, value: Any) -> Any:
        """A JSON value with volatile keys dropped and every string normalised."""
        if isinstance(value, dict):
            return {str(k): self.value(v) for k, v in value.items() if not _volatile(str(k))}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _volatile(key: str) -> bool:
    return key in _VOLATILE_KEYS or key in _TIMING_KEYS or key.endswith(_VOLATILE_SUFFIXES)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- the alert webhook ------------------------------------------------------------------------


class _HookServer(ThreadingHTTPServer):
    posts: dict[str, list[Any]]
    lock: threading.Lock


class _HookHandler(BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self.server.lock:
            self.server.posts.setdefault(self.path, []).append(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class Webhook:
    """A local Slack-compatible receiver: each scenario posts to its own path."""

    def __init__(self) -> None:
        self._server = _HookServer(("127.0.0.1", 0), _HookHandler)
        self._server.posts = {}
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def take(self, path: str) -> list[Any]:
        with self._server.lock:
            return self._server.posts.pop(path, [])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# fp_helpers ---------------------------------------------------------------------------------------


def _drop_ids(event: dict[str, Any]) -> dict[str, Any]:
    """Ids the helpdesk gives out (groups, jobs, comments): dropped; the names stay."""
    return {
        k: v
        for k, v in event.items()
        # serve's port is a free one each time
        if not (k.endswith(("_id", "_ids")) and k not in ("ticket_id",))
        and k not in ("ticket_url", "port")
    }


def _comparable(ticket: Mapping[str, Any] | None) -> Any:
    """What a write changes: a note moves ``updated_at`` as the fields' changes do."""
    if ticket is None:
        return None
    keep = ("status", "priority", "group_id", "assignee_id", "responder_id", "custom_fields")
    return (
        {k: ticket.get(k) for k in keep},
        sorted(ticket.get("tags") or []),
        ticket.get("updated_at"),
    )


def _api_calls(requests_by_key: Mapping[str, int]) -> dict[str, int | str]:
    """The sandbox's counts by endpoint; a job's status polls only as ``polled`` (how often a
    client asks before the sandbox's job thread is done is the machine's speed) and Zendesk's
    ``update_many`` as ``batched`` (the writer also sends a batch that waited a second)."""
    out: dict[str, int | str] = {}
    for key, count in sorted(requests_by_key.items()):
        if _JOB_POLL.search(key):
            out[key] = "polled" if count else 0
        elif _BATCHED.search(key):
            out[key] = "batched" if count else 0
        else:
            out[key] = count
    return out


def _llm_stats(session: requests.Session, url: str | None) -> dict[str, int]:
    if url is None:
        return {}
    answer = session.get(url, timeout=10)
    answer.raise_for_status()
    return {str(k): int(v) for k, v in answer.json().items()}


def _llm_calls_since(
    session: requests.Session, url: str | None, before: dict[str, int]
) -> dict[str, int]:
    """The stand-in's counters' growth since ``before``, without its timing figures."""
    after = _llm_stats(session, url)
    return {
        k: after.get(k, 0) - before.get(k, 0)
        for k in sorted(set(after) | set(before))
        if k not in _TIMING_KEYS
    }


def _ready(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _wait_for(done: Callable[[], bool], seconds: float, what: str, *, every: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(what)
        time.sleep(every)


def _delivery(helpdesk: str, ticket_id: int) -> tuple[bytes, dict[str, str]]:
    """A webhook's body and headers as each helpdesk sends them to ``serve``: Zendesk signs
    the timestamp and body (HMAC-SHA256, base64); a Freshdesk automation sends the shared
    secret and ticketbot's own signature header (``serve --print-setup`` shows both)."""
    if helpdesk == "zendesk":
        body = json.dumps({"ticket_id": str(ticket_id), "event": "created"}).encode()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        mac = hmac.new(SERVE_SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return body, {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Id": "01HFINGERPRINT",
            "X-Zendesk-Webhook-Invocation-Id": f"inv-{ticket_id}",
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
        }
    body = json.dumps({"ticket_id": ticket_id, "event": "created"}).encode()
    mac_hex = hmac.new(SERVE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Ticketbot-Secret": SERVE_SECRET,
        "X-Ticketbot-Signature": f"sha256={mac_hex}",
    }


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)
