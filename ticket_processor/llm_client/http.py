"""The LLM client's HTTP layer: a connection pool sized to the workers and a deadline per call.

httpx's timeouts bound each socket operation, not the call: an endpoint (or a proxy in front
of one) that sends its headers and then one byte every few seconds never trips a read timeout
and holds the worker for good. Here every socket operation of a call (connect, TLS, each write,
each read) is given at most the time left until the call's deadline, so the call ends at the
deadline, with httpx's own timeout error, however the server dribbles its answer.

A call to an endpoint reached directly goes over ``stdlib_http.StdlibTransport`` (one
connection a thread, ``http.client``'s parser), which keeps the same deadline; through a proxy,
over httpx's own transport, its network backend armed here (``DeadlineBackend``).

The deadline is per thread (``deadline.call_deadline``): a call and the reading of its whole
answer run in the calling thread (the openai SDK reads non-streamed bodies inside ``send``), so
the socket operations of one worker only ever see that worker's deadline.

Every answer is also capped (``BoundedTransport``): httpx would read any size into memory and
inflate a gzip body a whole network read at a time (a 64 KiB read of a gzip bomb is ~64 MB).
Here the body is inflated at most 64 KiB at a time, only gzip and deflate are asked for, and
the decoded bytes are counted; past ``max_bytes`` (``TICKETBOT_LLM_MAX_BYTES``) the call fails
with ``AnswerRefused``, which the SDK hands up as the cause of its connection error
(``wire.translate_error`` reads it). A redirect is refused the same way: never followed, it
would carry the prompt (ticket text) to whatever host it names.
"""

from __future__ import annotations

import ssl
import zlib
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpcore2
import httpx2

from ..resilience.bounds import CHUNK, LLM_MAX_BYTES, redirect_host, size_text
from .deadline import budget


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


class DeadlineStream(httpcore2.NetworkStream):
    """A network stream whose every operation respects the calling thread's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner
        # httpcore asks every pooled connection's stream whether it is readable each time it
        # places a request (dozens of calls a request with a large pool): answered by the
        # inner stream directly, not through a method of this one.
        self.get_extra_info = inner.get_extra_info  # type: ignore[method-assign]

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, budget(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, budget(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, budget(timeout, httpcore2.ConnectTimeout)
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
            budget(timeout, httpcore2.ConnectTimeout),
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
            path, budget(timeout, httpcore2.ConnectTimeout), socket_options=socket_options
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


def _direct(client: httpx2.Client) -> httpx2.BaseTransport:
    """The transport for an endpoint reached directly: ``stdlib_http.StdlibTransport`` on the
    TLS context and keep-alive expiry httpx chose, unless a proxy (configured, or any mounted
    from the environment) or HTTP/2 is in play, which httpx's own transport keeps."""
    from .stdlib_http import StdlibTransport

    transport = client._transport
    pool = getattr(transport, "_pool", None)
    proxied = any(mounted is not None for mounted in client._mounts.values())
    if proxied or type(pool) is not httpcore2.ConnectionPool or pool._http2 or not pool._http1:
        return transport
    context = pool._ssl_context
    if context is None:
        return transport
    return StdlibTransport(context, pool._keepalive_expiry)


class AnswerRefused(httpx2.RequestError):
    """An answer ticketbot will not read: larger than its cap, or a redirect; says which."""


class _BoundedStream(httpx2.SyncByteStream):
    """The body, inflated here at most ``CHUNK`` bytes at a time and counted once decoded."""

    def __init__(self, inner: httpx2.SyncByteStream, encoding: str, cap: int, setting: str) -> None:
        self._inner = inner
        self._cap = cap
        self._setting = setting
        self._seen = 0
        wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding)
        self._inflater = zlib.decompressobj(wbits) if wbits is not None else None

    def _count(self, data: bytes) -> bytes:
        self._seen += len(data)
        if self._seen > self._cap:
            raise AnswerRefused(
                f"the LLM endpoint's answer is larger than {size_text(self._cap)} (counted "
                f"decompressed); reading stopped: {self._setting} raises the cap"
            )
        return data

    def __iter__(self) -> Iterator[bytes]:
        inflater = self._inflater
        for chunk in self._inner:
            if inflater is None:
                yield self._count(chunk)
                continue
            try:
                data = inflater.decompress(chunk, CHUNK)
                yield self._count(data)
                while inflater.unconsumed_tail:
                    data = inflater.decompress(inflater.unconsumed_tail, CHUNK)
                    yield self._count(data)
            except zlib.error as exc:
                raise httpx2.DecodingError("the LLM endpoint's compressed answer is corrupt") from (
                    exc
                )

    def close(self) -> None:
        self._inner.close()


class BoundedTransport(httpx2.BaseTransport):
    """Wraps httpx's transport: answers capped at ``max_bytes`` decoded, no redirect read."""

    def __init__(
        self, inner: httpx2.BaseTransport, max_bytes: int, setting: str = "TICKETBOT_LLM_MAX_BYTES"
    ) -> None:
        self._inner = inner
        self.max_bytes = max_bytes
        self.setting = setting

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        # Only what _BoundedStream inflates in bounded steps (not brotli or zstd).
        request.headers["Accept-Encoding"] = "gzip, deflate"
        response = self._inner.handle_request(request)
        status = response.status_code
        if 300 <= status < 400:
            response.close()
            target = redirect_host(response.headers.get("location"))
            raise AnswerRefused(
                f"the LLM endpoint answered with a redirect ({status}) to {target}; ticketbot "
                "follows no redirect: set OPENAI_BASE_URL to the address it should call",
                request=request,
            )
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", "gzip", "deflate"):
            response.close()
            raise AnswerRefused(
                f"the LLM endpoint answered in an encoding not asked for ({encoding[:40]})",
                request=request,
            )
        assert isinstance(response.stream, httpx2.SyncByteStream)
        # Decoded here, so httpx must not decode again, nor check the encoded length.
        headers = [
            (name, value)
            for name, value in response.headers.raw
            if name.lower() not in (b"content-encoding", b"content-length")
        ]
        return httpx2.Response(
            status,
            headers=headers,
            stream=_BoundedStream(response.stream, encoding, self.max_bytes, self.setting),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


def build_http_client(
    *,
    connections: int,
    timeout: float,
    connect_timeout: float,
    max_bytes: int = LLM_MAX_BYTES,
    cap_setting: str = "TICKETBOT_LLM_MAX_BYTES",
) -> httpx2.Client:
    """The httpx client the openai SDK uses: ``connections`` pooled, deadlines armed.

    ``connections`` should be at least the number of threads making calls; a smaller pool makes
    the rest queue inside httpx, which looks like a slow LLM. ``max_bytes`` caps one answer,
    decoded (``cap_setting`` names the variable that raises it); no redirect is followed.
    """
    import openai  # the SDK's defaults (headers, redirects) for its own client

    client = openai.DefaultHttpxClient(
        limits=httpx2.Limits(max_connections=connections, max_keepalive_connections=connections),
        timeout=httpx2.Timeout(timeout, connect=connect_timeout),
        follow_redirects=False,  # the SDK's default follows them, prompt and all
    )
    _arm(client._transport)
    client._transport = BoundedTransport(_direct(client), max_bytes, cap_setting)
    for pattern, mounted in list(client._mounts.items()):  # proxies from the environment
        if mounted is not None:
            _arm(mounted)
            client._mounts[pattern] = BoundedTransport(mounted, max_bytes, cap_setting)
    return client
