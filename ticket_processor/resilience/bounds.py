"""Bounds on one outbound call: a deadline for the whole call, a cap on its answer, no redirect.

requests' ``(connect, read)`` timeouts bound each socket operation, so an answer trickled a
byte at a time never trips them; and ``.content`` reads whatever comes, however large, and
inflates a gzip body whole. ``read_within`` reads a streamed ``requests`` answer chunk by
chunk instead: each read is given only the time left before the call's deadline, and the
bytes are counted *after* decompression (urllib3 inflates at most one chunk's worth per
read), so a body past ``cap`` ends the call, a gzip bomb included, before it is held in memory.

The status line and headers come before the body, a recv at a time too: ``BoundedAdapter``
(mounted on the session) cuts the socket when the deadline that ``send_within`` set for the
calling thread passes while they are still arriving, so the whole call is bounded, headers
included.

Used by the helpdesk transport (``helpdesks/transport.py``) and the alert webhook
(``alerts/alerter.py``); the LLM client bounds its calls in ``llm_client/http.py`` (httpx).

A redirect is never followed by ticketbot's calls: it would carry a write, a note body or an
alert to wherever the answer points. ``redirect_host`` names where it pointed, for the message.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ReadTimeoutError
from urllib3.poolmanager import ProxyManager

from ..errors import AnswerTooLarge, DeadlinePassed

CHUNK = 65536

# The default caps on one answer, decompressed (the settings' defaults; docs/how-to/schedule.md,
# "Bounds on outbound calls", says why each is far above the largest legitimate answer).
HELPDESK_MAX_BYTES = 128 * 1024 * 1024
# 1 MiB: a chat completion is under 10 KB, a batch result line 2-6 KB; at 8 MiB a run whose
# LLM sent 200 MB answers peaked at 246 MiB (four workers each holding a capped answer on top
# of the learned model their tickets fell back to), at 1 MiB at 221 MiB
# (``python -m scripts.figures memory_bounds --only LLM``).
LLM_MAX_BYTES = 1024 * 1024
BATCH_MAX_BYTES = 1024 * 1024 * 1024
WEBHOOK_MAX_BYTES = 64 * 1024

_local = threading.local()


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
            raise AnswerTooLarge(f"the answer is larger than {size_text(cap)}", cap=cap)
        chunks.append(chunk)


def send_within(send: Callable[[], requests.Response], deadline: float) -> requests.Response:
    """``send()`` (a request with ``stream=True``) with its headers due by ``deadline``.

    The status line and headers must have arrived by then (``BoundedAdapter`` cuts the socket
    otherwise); a failure once the deadline has passed is ``DeadlinePassed``.
    """
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        return send()
    except requests.RequestException as exc:
        if time.monotonic() >= deadline:
            raise DeadlinePassed from exc
        raise
    finally:
        _local.deadline = previous


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _HeadersWithin:
    """Mixin for urllib3's connections: the headers arrive by the thread's deadline or the
    socket is shut, which ends the blocked read at once."""

    sock: socket.socket | None

    def getresponse(self) -> Any:
        deadline: float | None = getattr(_local, "deadline", None)
        sock = self.sock
        if deadline is None or sock is None:
            return super().getresponse()  # type: ignore[misc]
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (sock,))
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()  # type: ignore[misc]
        finally:
            timer.cancel()


class _Connection(_HeadersWithin, HTTPConnection):
    pass


class _TLSConnection(_HeadersWithin, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class BoundedAdapter(HTTPAdapter):
    """requests' adapter whose connections honour ``send_within``'s deadline for the headers."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        # Through an HTTP(S) proxy from the environment (HTTPS_PROXY): the same connections. A
        # SOCKS proxy keeps urllib3's own, bounded per read only.
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):
            manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        return manager


def redirect_host(location: str | None) -> str:
    """Where a redirect pointed, for a message: the host (and port) only, never a path,
    query or userinfo (a webhook's or a signed URL's token lives there)."""
    parts = urlsplit(location or "")
    host = parts.hostname or ""
    if host and parts.port:
        host = f"{host}:{parts.port}"
    return host or "another path on the same host"
