"""``ticketbot serve`` for tests: signed deliveries built here, the server in a thread.

``serving(env)`` assembles the server exactly as the command does (``commands.serve.
open_server``) from the settings in ``env``, serves it on port 0 in a thread and waits until
it is ready; ``DELIVERIES`` sign a body as each helpdesk does (``delivery_for``), and
``refused_headers`` forge one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

from ticket_processor.commands.serve import open_server
from ticket_processor.helpdesks.deliveries import body_signature
from ticket_processor.helpdesks.zendesk.deliveries import zendesk_signature
from ticket_processor.models import Engine
from ticket_processor.run.connect import load_settings
from ticket_processor.run.served import ServedTriage, ServeHooks
from ticket_processor.serve.server import ServeServer

Build = Callable[[ServeHooks], ServedTriage]

SECRET = "whsec-test-0123456789abcdef"
TOKEN = "api-token-test-0123456789abcdef"
# ``/readyz`` gives its health checks only to a caller with the API's token.
AUTHORISED = {"Authorization": f"Bearer {TOKEN}"}


def zendesk_stamp(moment: float | None = None) -> str:
    when = datetime.fromtimestamp(time.time() if moment is None else moment, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def zendesk_delivery(
    ticket_id: int | str,
    event: str = "created",
    *,
    secret: str = SECRET,
    stamp: str | None = None,
    invocation: str = "inv-1",
    body: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and headers as Zendesk's webhook sends them, signed with ``secret``."""
    raw = body if body is not None else orjson.dumps({"ticket_id": str(ticket_id), "event": event})
    stamp = stamp or zendesk_stamp()
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Id": "01HWEBHOOK",
        "X-Zendesk-Webhook-Invocation-Id": invocation,
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": zendesk_signature(secret, stamp, raw),
    }
    return raw, headers


def freshdesk_delivery(
    ticket_id: int | str,
    event: str = "created",
    *,
    secret: str = SECRET,
    sign: bool = True,
    body: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and headers as a Freshdesk automation sends them (the shared secret header)."""
    raw = body if body is not None else orjson.dumps({"ticket_id": ticket_id, "event": event})
    headers = {"Content-Type": "application/json", "X-Ticketbot-Secret": secret}
    if sign:
        headers["X-Ticketbot-Signature"] = body_signature(secret, raw)
    return raw, headers


def servicenow_delivery(
    ticket_id: int | str,
    event: str = "created",
    *,
    secret: str = SECRET,
    sign: bool = True,
    body: bytes | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A body and headers as ServiceNow's business rule sends them: the shared body, signed
    only with ``X-Ticketbot-Signature`` (no secret header)."""
    raw = body if body is not None else orjson.dumps({"ticket_id": ticket_id, "event": event})
    headers = {"Content-Type": "application/json"}
    if sign:
        headers["X-Ticketbot-Signature"] = body_signature(secret, raw)
    return raw, headers


def tinydesk_delivery(
    ticket_id: int | str, event: str = "created", *, secret: str = SECRET
) -> tuple[bytes, dict[str, str]]:
    """A body and headers as the tests' third kind (``support/third_kind``) sends them."""
    raw = orjson.dumps({"ticket_id": ticket_id, "event": event})
    return raw, {"Content-Type": "application/json", "X-Tinydesk-Secret": secret}


DELIVERIES: dict[str, Callable[..., tuple[bytes, dict[str, str]]]] = {
    "zendesk": zendesk_delivery,
    "freshdesk": freshdesk_delivery,
    "servicenow": servicenow_delivery,
    "tinydesk": tinydesk_delivery,
}


# The kinds whose deliveries carry an id of their own, sent again unchanged on a retry
# (Zendesk's invocation id), so serve stores a repeat once; the others' deliveries carry none
# (each is its own).
INVOKED = frozenset({"zendesk"})


def delivery_for(
    kind: str, ticket_id: int, event: str = "created", *, invocation: str | None = None, **kw: Any
) -> tuple[bytes, dict[str, str]]:
    """A delivery as ``kind`` sends it; ``invocation``: its own id, for a kind whose deliveries
    carry one (two deliveries with different ones are not a retry of each other)."""
    if invocation is not None and kind in INVOKED:
        kw["invocation"] = invocation
    return DELIVERIES[kind](ticket_id, event, **kw)


def _mis_signed(body: bytes, headers: dict[str, str]) -> list[dict[str, str]]:
    """The shared ``X-Ticketbot-Signature`` over the body, wrong: forged, and by another key."""
    return [
        {**headers, "X-Ticketbot-Signature": "sha256=00"},
        {**headers, "X-Ticketbot-Signature": body_signature("not-the-secret", body)},
    ]


# Each kind's forgeries of a delivery: its headers with what vouches for it guessed.
FORGERIES: dict[str, Callable[[bytes, dict[str, str]], list[dict[str, str]]]] = {
    "zendesk": lambda body, headers: [{**headers, "X-Zendesk-Webhook-Signature": "Zm9yZ2Vk"}],
    "freshdesk": lambda body, headers: [
        {**headers, "X-Ticketbot-Secret": "guess"},
        {**headers, "X-Ticketbot-Signature": "sha256=00"},
    ],
    "servicenow": _mis_signed,
}


def refused_headers(kind: str, body: bytes, headers: dict[str, str]) -> list[dict[str, str]]:
    """Headers serve must refuse (401) with the signed delivery ``body``/``headers`` of
    ``kind``: each forgery of what the kind signs with, and none at all."""
    return [*FORGERIES[kind](body, headers), {"Content-Type": "application/json"}]


@dataclass
class Running:
    server: ServeServer
    url: str
    client: httpx.Client

    def deliver(self, kind: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        return self.client.post(f"{self.url}/webhooks/{kind}", content=body, headers=dict(headers))

    def drained(self, timeout: float = 20.0) -> None:
        """Wait until every stored delivery is finished (done or failed)."""
        queue = self.server.state.queue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if queue.depth() == 0 and self.server.worker.held() == 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"the queue did not drain: {queue.counts()}")


def serve_env(desk_env: Mapping[str, str], root: Any, **extra: str) -> dict[str, str]:
    return {
        **desk_env,
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_SERVE_SECRET": SECRET,
        "TICKETBOT_SERVE_TOKEN": TOKEN,
        **extra,
    }


@contextmanager
def serving(
    env: Mapping[str, str],
    *,
    engine: Engine = "rules",
    ready: bool = True,
    gate: threading.Event | None = None,
    wrap: Callable[[Build], Build] | None = None,
    tell: Callable[[str], None] = lambda line: None,
) -> Iterator[Running]:
    """The server for the settings ``env`` in a thread on port 0; stopped (gracefully) after.
    ``gate``: the models' loading waits for it (what a slow start looks like); ``wrap``: what
    the loading becomes (a failing start); ``tell``: what serve says on stderr."""
    settings = load_settings({**os.environ, **env}, env_file=None)
    with open_server(settings, host="127.0.0.1", port=0, engine=engine, tell=tell) as (
        server,
        sock,
    ):
        build = server._build
        if gate is not None:

            def slow_build(hooks: ServeHooks) -> ServedTriage:
                gate.wait(60)
                return build(hooks)

            server._build = slow_build
        if wrap is not None:
            server._build = wrap(server._build)
        thread = server.start(sock)
        url = f"http://127.0.0.1:{server.port}"
        with httpx.Client(timeout=10) as client:
            running = Running(server, url, client)
            if ready:
                deadline = time.monotonic() + 60
                while server.state.readiness.status != "ready":
                    status = server.state.readiness.status
                    assert status != "failed", server.state.readiness.reason
                    assert time.monotonic() < deadline, "the server did not get ready"
                    time.sleep(0.05)
                # ... and its catch-up's first pass has read the helpdesk (run.catchup).
                assert server.caught_up.wait(60), "the first catch-up pass did not end"
            try:
                yield running
            finally:
                server.stop()
                thread.join(60)


ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(rb"listening on (http://127\.0\.0\.1:\d+)")


def serve_process(
    env: Mapping[str, str],
    log: Path,
    *,
    ready: Callable[[str], bool] | None = None,
    timeout: float = 120,
) -> tuple[subprocess.Popen[bytes], str]:
    """``ticketbot serve --engine rules`` as its own process on a free port (its stderr in
    ``log``) and its URL, once it says where it listens and then ``ready(url)`` holds (when
    given: what the test needs serve to have done first). Killed when it never gets there."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", "serve", "--port", "0", "--engine", "rules"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stderr=log.open("wb"),
        stdout=subprocess.DEVNULL,
        cwd=log.parent,
    )
    deadline = time.monotonic() + timeout
    url: str | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if url is None:
            found = LISTENING.search(log.read_bytes())
            url = found.group(1).decode() if found else None
        if url is not None and (ready is None or ready(url)):
            return process, url
        time.sleep(0.05)
    process.kill()
    process.wait(30)
    raise AssertionError(log.read_text())


def readyz_ready(url: str) -> bool:
    """Whether serve's ``/readyz`` says ready (its health checks ran)."""
    try:
        return httpx.get(f"{url}/readyz", timeout=30).status_code == 200
    except httpx.TransportError:
        return False
