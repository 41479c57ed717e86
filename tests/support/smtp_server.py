"""A real SMTP server on 127.0.0.1, port 0, for the e-mail tests (``-m smtp``): aiosmtpd, the
asyncio SMTP server of the aio-libs project, in a thread.

``smtp_server`` offers STARTTLS (a certificate from a throw-away authority, ``trustme``) and
asks for a login, refused before STARTTLS; ``SmtpSink.start(mode=...)`` makes the others:
``"plain"`` (no TLS offered, no login), ``"smtps"`` (TLS from the first byte). ``messages``
holds each mail accepted (``email.message.EmailMessage``), ``logins`` each login's user, and
``client_tls`` is the context a client trusts the server's certificate with.

``TricklingRelay`` is a relay that never finishes its greeting: a ``220-`` continuation line
every half second, each within any per-read timeout, never the last line.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import pytest

USER = "alerts@example.com"
PASSWORD = "s3cret-SMTP-p@ss"


class SmtpSink:
    def __init__(self, mode: str = "starttls") -> None:
        import trustme
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.mode = mode
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.tls_used: list[bool] = []
        authority = trustme.CA()
        self.authority = authority  # ``authority.cert_pem.write_to_path`` for SSL_CERT_FILE
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(server_tls)
        self.client_tls = ssl.create_default_context()
        authority.configure_trust(self.client_tls)
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                # STARTTLS sets ``session.ssl``; smtps has TLS on the transport from the start.
                tls = server.transport.get_extra_info("ssl_object") is not None
                sink.tls_used.append(tls)
                parsed = message_from_bytes(envelope.content, policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                sink.messages.append(parsed)
                return "250 OK"

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == USER
                and data.password.decode() == PASSWORD
            )
            if ok:
                sink.logins.append(data.login.decode())
            # handled=False: aiosmtpd answers the refusal (535) itself.
            return AuthResult(success=ok, handled=False)

        options: dict[str, Any] = {}
        if mode == "starttls":
            options = {
                "tls_context": server_tls,
                "authenticator": authenticate,
                "auth_require_tls": True,
                "auth_required": True,
            }
        elif mode == "smtps":
            options = {
                "ssl_context": server_tls,
                "authenticator": authenticate,
                # aiosmtpd sees TLS only when STARTTLS made it; here it is there from the start.
                "auth_require_tls": False,
                "auth_required": True,
            }

        class OnPortZero(Controller):
            """aiosmtpd binds a fixed port; this binds port 0 and notes the one it got."""

            def _create_server(self) -> Any:
                async def create() -> Any:
                    server = await self.loop.create_server(
                        self._factory_invoker, host=self.hostname, port=0, ssl=self.ssl_context
                    )
                    self.port = server.sockets[0].getsockname()[1]
                    return server

                return create()

        self.controller = OnPortZero(Handler(), hostname="127.0.0.1", port=0, **options)
        self.controller.start()
        self.port: int = self.controller.port
        scheme = "smtps" if mode == "smtps" else "smtp"
        login = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@"
        credentials = "" if mode == "plain" else login
        self.url = f"{scheme}://{credentials}127.0.0.1:{self.port}"

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink("starttls")
    yield sink
    sink.close()


class TricklingRelay:
    """On 127.0.0.1, port 0: greets each connection with ``220-`` lines, one every ``every``
    seconds, until the client hangs up or ``close``. ``connections`` counts the connections,
    ``open`` those still being trickled to."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.connections = 0
        self.open = 0
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self.url = f"smtp://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, name="trickling-relay", daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.connections += 1
                self.open += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        try:
            while not self._closed.is_set():
                conn.sendall(b"220-relay.example.com still thinking\r\n")
                time.sleep(self.every)
        except OSError:
            pass  # the client hung up
        finally:
            with self._lock:
                self.open -= 1
            conn.close()

    def wait_for_connection(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.connections == 0:
            assert time.monotonic() < deadline, "no client connected to the relay"
            time.sleep(0.05)

    def close(self) -> None:
        self._closed.set()
        self._listener.close()


@pytest.fixture
def trickling_relay() -> Iterator[TricklingRelay]:
    relay = TricklingRelay()
    yield relay
    relay.close()
