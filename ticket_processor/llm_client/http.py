"""The LLM client's HTTP layer: a connection pool sized to the workers and a deadline per call.

httpx's timeouts bound each socket operation, not the call: an endpoint (or a proxy in front
of one) that sends its headers and then one byte every few seconds never trips a read timeout
and holds the worker for good. Here every socket operation of a call (connect, TLS, each write,
each read) is given at most the time left until the call's deadline, so the call ends at the
deadline, with httpx's own timeout error, however the server dribbles its answer.

The deadline is per thread (``call_deadline``): a call and the reading of its whole answer run
in the calling thread (the openai SDK reads non-streamed bodies inside ``send``), so the socket
operations of one worker only ever see that worker's deadline.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpcore2
import httpx2

_local = threading.local()


def split_query(url: str) -> tuple[str, dict[str, str] | None]:
    """``url`` without its query string, and the query as the SDK's ``default_query``.

    A gateway that takes its key in the query (``.../v1?api-key=...``) needs the query on every
    request; left in ``base_url``, the SDK appends the path after it (``?api-key=Kchat/...``),
    so the request misses the endpoint and the key reaches the server mangled.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url, None
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", parts.fragment))
    return bare, dict(parse_qsl(parts.query, keep_blank_values=True))


@contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread finishes within ``seconds`` from now, in total."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


def _budget(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before this thread's deadline; raise when none is left."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore2.NetworkStream):
    """A network stream whose every operation respects the calling thread's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _budget(timeout, httpcore2.ConnectTimeout)
        )
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore2.NetworkBackend):
    """Wraps httpcore's network backend so its streams are ``DeadlineStream``s."""

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            _budget(timeout, httpcore2.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _budget(timeout, httpcore2.ConnectTimeout), socket_options=socket_options
        )
        return DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _arm(transport: object) -> None:
    # httpx builds its connection pool inside HTTPTransport and offers no parameter for the
    # network backend; httpcore's pool takes one. Swap it in right after construction, and fail
    # at start-up (not silently at 3 a.m.) if a new httpx moves it.
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is None or not isinstance(backend, httpcore2.NetworkBackend):
        raise RuntimeError("httpx2's transport has no connection pool to arm with a deadline")
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)


def build_http_client(*, connections: int, timeout: float, connect_timeout: float) -> httpx2.Client:
    """The httpx client the openai SDK uses: ``connections`` pooled, deadlines armed.

    ``connections`` should be at least the number of threads making calls; a smaller pool makes
    the rest queue inside httpx, which looks like a slow LLM.
    """
    import openai  # the SDK's defaults (headers, redirects) for its own client

    client = openai.DefaultHttpxClient(
        limits=httpx2.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx2.Timeout(timeout, connect=connect_timeout),
    )
    _arm(client._transport)
    for mounted in client._mounts.values():  # proxies from the environment
        if mounted is not None:
            _arm(mounted)
    return client
