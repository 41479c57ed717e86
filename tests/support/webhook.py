"""A webhook receiver on 127.0.0.1:0 for alert tests: records what was posted.

Knobs: ``status``; ``hang`` (wait before answering); ``trickle`` (send the headers, then the
answer one byte every N seconds: only a deadline for the whole call ends it); ``answer`` (the
body, e.g. a large one); ``redirect_to`` (answer 307 with that ``Location``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Receiver:
    """A webhook on 127.0.0.1:0 that records bodies and answers ``status`` (or hangs)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []  # each body's bytes as posted (a signature covers them)
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.hang = False
        self.trickle = 0.0
        self.answer = b"ok"
        self.redirect_to: str | None = None
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                receiver.raw.append(raw)
                receiver.headers.append(dict(self.headers.items()))
                receiver.bodies.append(json.loads(raw))
                if receiver.hang:
                    receiver.release.wait(5)  # the client's read times out meanwhile
                if receiver.redirect_to is not None:
                    self.send_response(307)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = receiver.answer
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                if receiver.trickle <= 0:
                    self.wfile.write(answer)
                    return
                self.wfile.flush()
                for index in range(len(answer)):
                    if receiver.release.wait(receiver.trickle):
                        return
                    try:
                        self.wfile.write(answer[index : index + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up: what a deadline is for
                        return

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/secret"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()
