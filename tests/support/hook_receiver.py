"""A helpdesk webhook's far end on 127.0.0.1:0 for the sandboxes' delivery tests: records each
request (headers, raw body, when) and answers from a script, then 200.

    receiver.script = [Answer(503, {"Retry-After": "0"}), Answer(hang=0.5)]

``wait_for(n)`` waits until ``n`` requests arrived. ``hook_receiver`` is the fixture.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Answer:
    """One scripted answer: a status with headers, after ``hang`` seconds."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived


class HookReceiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[Answer] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._cond:
                    receiver.received.append(
                        Received(dict(self.headers.items()), body, time.monotonic())
                    )
                    answer = receiver.script.pop(0) if receiver.script else Answer()
                    receiver._cond.notify_all()
                if answer.hang:
                    time.sleep(answer.hang)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting: what a timeout is
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/in"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived")
                self._cond.wait(left)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook_receiver() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    yield receiver
    receiver.close()
