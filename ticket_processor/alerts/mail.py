"""E-mail over SMTP: ``TICKETBOT_SMTP_URL`` (``smtp://user:password@host:port``, or ``smtps://``
for TLS from the first byte) and the recipients in ``TICKETBOT_ALERT_EMAIL``.

On ``smtp://`` the connection is upgraded with STARTTLS whenever the server offers it (its EHLO
lists ``STARTTLS``), before any login, so a password never crosses in clear to a server that
could have encrypted; a server that does not offer it gets the mail in clear, as RFC 3207
leaves to the client, but never the login: a URL with a user needs TLS (an attacker on the
way could strip the STARTTLS offer to read the password). Certificates are checked
against the system's authorities (``ssl.create_default_context``).

Each mail is plain text with an HTML alternative; every text from a ticket is HTML-escaped in
the HTML part, and a header never takes a line break from it. A mail may carry its own
``Message-ID`` (an escalation's is stable: a mail sent again after a crash is the same mail to
a client that de-duplicates).

One exchange — connecting, the greeting, TLS, the login, the mail, its 250 — has one deadline
(``timeout``, shortened by the run's): ``smtplib``'s timeout is per socket read, so a relay
that trickles ``220-`` lines, one within each read's time, would hold a run past its
``--max-runtime`` and its SIGTERM. A watchdog shuts the socket when the deadline passes. Once
the server said 250 to the mail it is sent, whatever the goodbye does. A 4xx answer, a
dropped connection or a timeout is worth another try (``Undelivered.busy``: the channel's
back-off decides when); a 5xx (a refused login, an unknown recipient) is not. Messages name
the server's reply code and the exception's type, never the URL: it holds the password.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError
from ..resilience.deadline import RunDeadline
from .delivery import ChannelBusy, Undelivered

SMTP_PORT = 25
SMTPS_PORT = 465


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, from ``TICKETBOT_SMTP_URL``."""

    host: str
    port: int
    implicit_tls: bool
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigError(
                "TICKETBOT_SMTP_URL must look like smtp://user:password@host:port "
                "(or smtps:// for TLS from the start)"
            )
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("TICKETBOT_SMTP_URL has a port that is not a number") from None
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (SMTPS_PORT if implicit else SMTP_PORT),
            implicit_tls=implicit,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )


@dataclass(frozen=True)
class Mail:
    """A mail to send: ``html`` is markup already, its ticket text escaped by the caller."""

    subject: str
    text: str
    html: str
    message_id: str | None = None  # ``<...@...>``; None: a new one


@dataclass(frozen=True)
class Mailer:
    """Sends mails through ``server`` to ``recipients``, from ``sender``."""

    server: SmtpServer
    recipients: tuple[str, ...]
    sender: str
    timeout: float = 30.0  # the whole exchange
    deadline: RunDeadline | None = None
    tls: ssl.SSLContext | None = None  # None: the system's authorities

    def send(self, mail: Mail) -> Undelivered | None:
        """None once the server accepted the mail for every recipient, else why not."""
        message = self._message(mail)
        timeout = self.timeout if self.deadline is None else self.deadline.cap(self.timeout)
        if timeout <= 0:
            return Undelivered("SMTP: the run's time is spent; left to the next run", busy=True)
        try:
            self._once(message, timeout)
        except ChannelBusy as exc:
            return Undelivered(str(exc), busy=True)
        except _Refused as exc:
            return Undelivered(str(exc))
        return None

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = " ".join(mail.subject.split())[:200]
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = mail.message_id or make_msgid(
            domain=self.sender.rpartition("@")[2] or None
        )
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply loops
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    def _once(self, message: EmailMessage, timeout: float) -> None:
        context = self.tls or ssl.create_default_context()
        server = self.server
        ends = time.monotonic() + timeout
        client: smtplib.SMTP
        if server.implicit_tls:
            client = _BoundedSMTPS(ends, timeout=timeout, context=context)
        else:
            client = _BoundedSMTP(ends, timeout=timeout)
        accepted = False
        try:
            with _watchdog(client, ends) as cut:
                try:
                    client.connect(server.host, server.port)
                    client.ehlo()
                    if not server.implicit_tls and client.has_extn("starttls"):
                        client.starttls(context=context)
                        client.ehlo()
                    if server.user:
                        if (
                            not server.implicit_tls
                            and client.sock is not None
                            and not isinstance(client.sock, ssl.SSLSocket)
                        ):
                            # A STARTTLS stripped on the way must not earn the password in clear.
                            raise _Refused(
                                "SMTP server offers no STARTTLS: the login is not sent in clear "
                                "(use smtps://, a server that offers STARTTLS, or no user)"
                            )
                        _login(client, server.user, server.password or "")
                    refused = client.send_message(message)
                    accepted = True  # the server said 250 to the mail: it is sent
                    with contextlib.suppress(smtplib.SMTPException, OSError):
                        client.quit()
                except (smtplib.SMTPException, OSError) as exc:
                    if cut.is_set() and not accepted:
                        raise ChannelBusy(
                            f"SMTP server did not finish the exchange within {timeout:g} s"
                        ) from exc
                    raise
        except smtplib.SMTPResponseException as exc:
            what = f"SMTP server answered {exc.smtp_code} ({type(exc).__name__})"
            if 400 <= exc.smtp_code < 500:
                raise ChannelBusy(what) from None
            raise _Refused(what) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise _Refused(f"SMTP server refused every recipient ({codes})") from None
        except TimeoutError:
            raise ChannelBusy(f"SMTP server gave no answer within {timeout:g} s") from None
        except ssl.SSLError as exc:
            raise _Refused(f"SMTP TLS failed ({type(exc).__name__}: {exc.reason})") from None
        except (smtplib.SMTPException, OSError) as exc:
            # SMTPServerDisconnected, a refused connection, a reset: the server may be back.
            raise ChannelBusy(f"SMTP server unreachable ({type(exc).__name__})") from None
        finally:
            with contextlib.suppress(OSError):
                client.close()
        if refused:
            codes = sorted({code for code, _ in refused.values()})
            raise _Refused(f"SMTP server refused {len(refused)} recipient(s) ({codes})")


class _Bounded:
    """Each socket read gets at most the time left before the exchange's end (the watchdog
    ends the exchange at that moment in any case)."""

    timeout: float
    _ends: float
    _host: str

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # What ``SMTP(host)`` sets before connecting; STARTTLS and smtps check the
        # certificate against it.
        self._host = host
        left = max(0.01, self._ends - time.monotonic())
        return super()._get_socket(host, port, min(timeout, left))  # type: ignore[misc,no-any-return]


class _BoundedSMTP(_Bounded, smtplib.SMTP):
    def __init__(self, ends: float, **kwargs: Any) -> None:
        self._ends = ends
        super().__init__(**kwargs)


class _BoundedSMTPS(_Bounded, smtplib.SMTP_SSL):
    def __init__(self, ends: float, **kwargs: Any) -> None:
        self._ends = ends
        super().__init__(**kwargs)


@contextlib.contextmanager
def _watchdog(client: smtplib.SMTP, ends: float) -> Iterator[threading.Event]:
    """Shut ``client``'s socket (whichever it is by then: STARTTLS replaces it) at ``ends``;
    the event says it did. A shut socket ends a blocked read or write at once."""
    cut = threading.Event()
    done = threading.Event()

    def watch() -> None:
        if done.wait(max(0.0, ends - time.monotonic())):
            return
        cut.set()
        sock = client.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watcher = threading.Thread(target=watch, name="smtp-deadline", daemon=True)
    watcher.start()
    try:
        yield cut
    finally:
        done.set()


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """Log in with PLAIN when offered (under TLS the usual one): ``smtplib``'s ``login`` tries
    each mechanism in turn, and a server that hangs up after a refused one turns a wrong
    password into a lost connection, which would be retried as if the server were down."""
    if "plain" in client.esmtp_features.get("auth", "").lower().split():
        client.user, client.password = user, password
        client.auth("PLAIN", client.auth_plain)
    else:
        client.login(user, password)


def parse_recipients(value: str) -> tuple[str, ...]:
    """``a@x, b@y``: the addresses, in order, without duplicates."""
    found = [part.strip() for part in value.replace(";", ",").split(",")]
    for address in found:
        if address and ("@" not in address or any(c.isspace() for c in address)):
            raise ConfigError(
                f"TICKETBOT_ALERT_EMAIL: {address!r} is not an e-mail address; "
                "give addresses separated by commas"
            )
    return tuple(dict.fromkeys(a for a in found if a))


class _Refused(Exception):
    """A failure another try would not mend (a 5xx, a failed TLS handshake)."""
