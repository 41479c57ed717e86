"""The LLM client's connections on the standard library: one keep-alive connection a thread.

The openai SDK and its httpx client stay the client: they build each request, apply the
timeouts, raise the SDK's errors and read the answer. Only the transport under httpx changes:
httpcore's pool and h11's parser did two fifths of ticketbot's CPU for an LLM call (header
validation and state-machine events per chunk, a pool scan under a lock); ``http.client``'s
parser, written for the same job, does it in about half. A worker makes one call at a time, so
each thread keeps one connection of its own, and no pool is scanned under a lock.

What httpx's transport guarantees is kept, each held by ``tests/llm/test_stdlib_http.py``:
- every socket operation of a call waits at most the time left before the thread's deadline
  (``deadline.call_deadline``), so an endpoint that trickles its answer a byte at a time is cut off
  at the deadline, as ``http.DeadlineStream`` cuts it for httpcore;
- failures are httpx's exceptions (a timeout an ``httpx.TimeoutException`` of the stage it hit,
  a refused connection a ``ConnectError``, a server that closes without answering a
  ``RemoteProtocolError`` "without sending a response"), each from the OS's error, so the SDK
  and ``wire.translate_error`` read them as before;
- TLS uses the context httpx made (system CAs, ``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` as httpx
  reads them); an idle connection the server closed, or one idle longer than httpx's keep-alive
  expiry, is not reused.
A client with a proxy (configured or from the environment) keeps httpx's own transport
(``http.build_http_client`` decides).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx2

from .deadline import budget

_DEFAULT_PORTS = {"http": 80, "https": 443}


class _DeadlineReader(io.RawIOBase):
    """The socket's reads, each given at most the call's read timeout and the time left."""

    def __init__(self, sock: socket.socket, timeout: float | None) -> None:
        self._sock = sock
        self.timeout = timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(budget(self.timeout, httpx2.ReadTimeout))
        return self._sock.recv_into(buffer)


class _ResponseSource:
    """What ``http.client.HTTPResponse`` reads from: our reader instead of the socket's file."""

    def __init__(self, reader: _DeadlineReader) -> None:
        self._reader = reader

    def makefile(self, mode: str, *_: object) -> io.BufferedReader:
        return io.BufferedReader(self._reader)


class _Connection:
    """One HTTP/1.1 connection to one origin, used by one thread at a time."""

    def __init__(self, sock: socket.socket, origin: tuple[str, str, int]) -> None:
        self.sock = sock
        self.origin = origin
        self.idle_since = time.monotonic()
        self.busy = False

    def usable(self, origin: tuple[str, str, int], expiry: float) -> bool:
        """Same origin, not idle past ``expiry``, and the server has not closed it: an idle
        connection with something to read is one the server closed (or spoke out of turn on)."""
        if origin != self.origin or time.monotonic() - self.idle_since > expiry:
            return False
        return not _readable(self.sock)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _readable(sock: socket.socket) -> bool:
    """Whether ``sock`` has something to read (or is closed), without waiting. ``poll`` where
    there is one: ``select`` refuses a descriptor past 1023, which a process with hundreds of
    workers and their files may reach (httpcore asks the same way)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed already
        return True
    return bool(readable)


class _ResponseStream(httpx2.SyncByteStream):
    """The body read at most one network read at a time; the connection goes back to its
    thread when the body is read to its end, and is closed otherwise."""

    def __init__(
        self, response: http.client.HTTPResponse, connection: _Connection, owner: StdlibTransport
    ) -> None:
        self._response = response
        self._connection = connection
        self._owner = owner
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        with _mapped(httpx2.ReadTimeout, httpx2.ReadError):
            while True:
                chunk = response.read1(65536)
                if not chunk:
                    break
                yield chunk
        self._done = True

    def close(self) -> None:
        connection = self._connection
        keep = self._done and not self._response.will_close
        self._response.close()  # its own file only: the socket stays open
        if keep:
            self._owner.release(connection)
        else:
            self._owner.discard(connection)


class _mapped:
    """OS and ``http.client`` failures as httpx's: ``timeout`` for a socket timeout, ``error``
    for another OS error, ``RemoteProtocolError`` for a malformed answer; each from its cause."""

    def __init__(self, timeout: type[httpx2.TimeoutException], error: type[Exception]) -> None:
        self._timeout = timeout
        self._error = error

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, _: object) -> None:
        if exc is None or isinstance(exc, httpx2.HTTPError):
            return
        if isinstance(exc, http.client.RemoteDisconnected):
            raise httpx2.RemoteProtocolError(
                "Server disconnected without sending a response."
            ) from exc
        if isinstance(exc, TimeoutError):  # socket.timeout is TimeoutError
            raise self._timeout(str(exc) or "timed out") from exc
        if isinstance(exc, http.client.HTTPException):
            raise httpx2.RemoteProtocolError(str(exc) or type(exc).__name__) from exc
        if isinstance(exc, OSError):
            raise self._error(str(exc) or type(exc).__name__) from exc


def _timeouts(request: httpx2.Request) -> Mapping[str, float | None]:
    found = request.extensions.get("timeout")
    return found if isinstance(found, Mapping) else {}


class StdlibTransport(httpx2.BaseTransport):
    """httpx's transport for a direct (no proxy) HTTP/1.1 endpoint, on ``http.client``'s
    response parser and one connection per calling thread."""

    def __init__(self, ssl_context: ssl.SSLContext, keepalive_expiry: float | None) -> None:
        self._ssl_context = ssl_context
        self._expiry = float("inf") if keepalive_expiry is None else keepalive_expiry
        self._mine = threading.local()
        self._lock = threading.Lock()
        self._connections: dict[threading.Thread, _Connection] = {}

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        scheme = url.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx2.UnsupportedProtocol(f"Request URL has an unsupported protocol '{scheme}'")
        origin = (scheme, url.host, url.port or _DEFAULT_PORTS[scheme])
        timeouts = _timeouts(request)
        connection = self._take(origin, request, timeouts.get("connect"))
        try:
            head = [
                request.method.encode("ascii"),
                b" ",
                url.raw_path,
                b" HTTP/1.1\r\n",
            ]
            for name, value in request.headers.raw:
                head += (name, b": ", value, b"\r\n")
            head.append(b"\r\n")
            data = b"".join(head) + request.read()
            sock = connection.sock
            with _mapped(httpx2.WriteTimeout, httpx2.WriteError):
                sock.settimeout(budget(timeouts.get("write"), httpx2.WriteTimeout))
                sock.sendall(data)
            # A reader of this response's own: closing the response closes it, not the socket.
            reader = _DeadlineReader(sock, timeouts.get("read"))
            response = http.client.HTTPResponse(
                _ResponseSource(reader),  # type: ignore[arg-type]
                method=request.method,
            )
            with _mapped(httpx2.ReadTimeout, httpx2.ReadError):
                response.begin()
        except BaseException:
            self.discard(connection)
            raise
        reason = response.reason or ""
        return httpx2.Response(
            response.status,
            headers=[
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in response.msg.items()
            ],
            stream=_ResponseStream(response, connection, self),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": reason.encode("latin-1", "replace"),
            },
        )

    def _take(
        self, origin: tuple[str, str, int], request: httpx2.Request, timeout: float | None
    ) -> _Connection:
        """This thread's connection to ``origin``, opened when it has none it can reuse."""
        connection: _Connection | None = getattr(self._mine, "connection", None)
        if connection is not None:
            self._mine.connection = None
            if not connection.busy and connection.usable(origin, self._expiry):
                connection.busy = True
                return connection
            if not connection.busy:
                connection.close()
        connection = _Connection(self._connect(origin, request, timeout), origin)
        connection.busy = True
        self._register(connection)
        return connection

    def _connect(
        self, origin: tuple[str, str, int], request: httpx2.Request, timeout: float | None
    ) -> socket.socket:
        scheme, host, port = origin
        with _mapped(httpx2.ConnectTimeout, httpx2.ConnectError):
            sock = socket.create_connection(
                (host, port), timeout=budget(timeout, httpx2.ConnectTimeout)
            )
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if scheme == "https":
                    sni = request.extensions.get("sni_hostname")
                    server_hostname = sni.decode("ascii") if isinstance(sni, bytes) else sni
                    sock.settimeout(budget(timeout, httpx2.ConnectTimeout))
                    sock = self._ssl_context.wrap_socket(
                        sock, server_hostname=server_hostname or host
                    )
            except BaseException:
                sock.close()
                raise
        return sock

    def _register(self, connection: _Connection) -> None:
        """Remember this thread's connection (for ``close``), closing those of ended threads."""
        with self._lock:
            ended = [thread for thread in self._connections if not thread.is_alive()]
            gone = [self._connections.pop(thread) for thread in ended]
            self._connections[threading.current_thread()] = connection
        for old in gone:
            old.close()

    def release(self, connection: _Connection) -> None:
        """The answer is read: the connection waits for this thread's next call."""
        connection.busy = False
        connection.idle_since = time.monotonic()
        self._mine.connection = connection

    def discard(self, connection: _Connection) -> None:
        connection.busy = False
        connection.close()
        with self._lock:
            mine = threading.current_thread()
            if self._connections.get(mine) is connection:
                del self._connections[mine]

    def close(self) -> None:
        with self._lock:
            connections = list(self._connections.values())
            self._connections.clear()
        for connection in connections:
            connection.close()
