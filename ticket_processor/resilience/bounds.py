"""Bounds on one outbound call: a deadline for the whole call, a cap on its answer, no redirect.

requests' ``(connect, read)`` timeouts bound each socket operation, so an answer trickled a
byte at a time never trips them; and ``.content`` reads whatever comes, however large, and
inflates a gzip body whole. ``read_within`` reads a streamed ``requests`` answer chunk by
chunk instead: each read is given only the time left before the call's deadline, and the
bytes are counted *after* decompression (urllib3 inflates at most one chunk's worth per
read), so a body past ``cap`` ends the call, a gzip bomb included, before it is held in memory.

Used by the helpdesk transport (``helpdesks/transport.py``) and the alert webhook
(``ops/alerts.py``); the LLM client counts its answers in ``llm_client/http.py`` (httpx).

A redirect is never followed by ticketbot's calls: it would carry a write, a note body or an
alert to wherever the answer points. ``redirect_host`` names where it pointed, for the message.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import ReadTimeoutError

CHUNK = 65536


class DeadlinePassed(Exception):
    """The whole-call deadline passed while the answer was still coming."""


class AnswerTooLarge(Exception):
    """The answer (counted after decompression) grew past ``cap`` bytes; reading stopped."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"the answer is larger than {size_text(cap)}")
        self.cap = cap


def size_text(count: int) -> str:
    """``count`` bytes for a message: ``64 KiB``, ``8 MiB``, ``1.5 GiB``."""
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:g} {unit}" if unit != "bytes" else f"{count} bytes"
        value /= 1024
    raise AssertionError("unreachable")


def read_within(
    response: requests.Response, deadline: float, read_timeout: float, *, cap: int | None = None
) -> bytes:
    """The decoded body of a streamed response; ``DeadlinePassed`` or ``AnswerTooLarge``.

    Each read gets the time left before ``deadline`` (``time.monotonic``) and at most
    ``read_timeout``; at most ``cap`` decoded bytes are kept.
    """
    raw = response.raw
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        if sock is not None:
            sock.settimeout(min(left, read_timeout))
        try:
            # decode_content: inflated here, at most CHUNK bytes per read, so what is counted
            # is what would be held.
            chunk = raw.read1(CHUNK, decode_content=True)
        except (ReadTimeoutError, TimeoutError) as exc:
            if deadline - time.monotonic() <= 0:
                raise DeadlinePassed from exc
            raise
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if cap is not None and size > cap:
            raise AnswerTooLarge(cap)
        chunks.append(chunk)


def redirect_host(location: str | None) -> str:
    """Where a redirect pointed, for a message: the host (and port) only, never a path,
    query or userinfo (a webhook's or a signed URL's token lives there)."""
    parts = urlsplit(location or "")
    host = parts.hostname or ""
    if host and parts.port:
        host = f"{host}:{parts.port}"
    return host or "another path on the same host"
