"""E-mail over SMTP: ``TICKETBOT_SMTP_URL`` (``smtp://user:password@host:port``, or ``smtps://``
for TLS from the first byte) and the recipients in ``TICKETBOT_ALERT_EMAIL``.

On ``smtp://`` the connection is upgraded with STARTTLS whenever the server offers it (its EHLO
lists ``STARTTLS``), before any login, so a password never crosses in clear to a server that
could have encrypted; a server that does not offer it gets the mail in clear, as RFC 3207
leaves to the client, but never the login: a URL with a user needs TLS (an attacker on the
way could strip the STARTTLS offer to read the password). Certificates are checked
against the system's authorities (``ssl.create_default_context``).

Each mail is plain text with an HTML alternative; every text from a ticket is HTML-escaped in
the HTML part, and a header never takes a line break from it. A 4xx answer, a dropped
connection or a timeout is tried again within the run's deadline (``delivery.ALERT_RETRIES``);
a 5xx (a refused login, an unknown recipient) is not. Messages name the server's reply code
and the exception's type, never the URL: it holds the password.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from ..errors import ConfigError, RunOutOfTime
from ..resilience.deadline import RunDeadline
from ..resilience.retry import Retrier
from .delivery import ALERT_RETRIES, ChannelBusy

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


@dataclass(frozen=True)
class Mailer:
    """Sends mails through ``server`` to ``recipients``, from ``sender``."""

    server: SmtpServer
    recipients: tuple[str, ...]
    sender: str
    timeout: float = 10.0
    deadline: RunDeadline | None = None
    sleep: Callable[[float], None] = time.sleep
    tls: ssl.SSLContext | None = None  # None: the system's authorities

    def send(self, mail: Mail) -> str | None:
        """None once the server accepted the mail for every recipient, else why not."""
        message = self._message(mail)
        retrier = Retrier(ALERT_RETRIES, sleep=self.sleep, deadline=self.deadline)
        try:
            retrier.call(lambda: self._once(message))
        except ChannelBusy as exc:
            return str(exc)
        except RunOutOfTime:
            return "SMTP: the run's time is spent; left to the next run"
        except _Refused as exc:
            return str(exc)
        return None

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = " ".join(mail.subject.split())[:200]
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-reply loops
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message

    def _once(self, message: EmailMessage) -> None:
        timeout = self.timeout if self.deadline is None else self.deadline.cap(self.timeout)
        context = self.tls or ssl.create_default_context()
        server = self.server
        try:
            client: smtplib.SMTP
            if server.implicit_tls:
                client = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=timeout, context=context
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=timeout)
            with client:
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
        if refused:
            codes = sorted({code for code, _ in refused.values()})
            raise _Refused(f"SMTP server refused {len(refused)} recipient(s) ({codes})")


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
