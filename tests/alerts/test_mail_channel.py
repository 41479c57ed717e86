"""E-mail over SMTP against a real local server (aiosmtpd): STARTTLS before the login, smtps,
a server that offers no TLS, a mail per escalation with the ticket's text escaped in its HTML,
the daily summary once a day, and no password in any message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.clock import FakeClock
from support.smtp_server import PASSWORD, SmtpSink

from ticket_processor.alerts.channels import Channels, Escalated
from ticket_processor.alerts.mail import Mail, Mailer, SmtpServer, parse_recipients
from ticket_processor.errors import ConfigError

pytestmark = pytest.mark.smtp

HELPDESK = "https://acme.freshdesk.com"
DAY_ONE = 1_800_000_000.0  # 2027-01-15 08:00 UTC
HOSTILE = '<img src=x onerror="alert(1)"> & <a href="https://evil.example">Sign in</a>'


@pytest.fixture
def smtps_server() -> Iterator[SmtpSink]:
    sink = SmtpSink("smtps")
    yield sink
    sink.close()


@pytest.fixture
def plain_server() -> Iterator[SmtpSink]:
    sink = SmtpSink("plain")
    yield sink
    sink.close()


def mailer(sink: SmtpSink, url: str | None = None) -> Mailer:
    return Mailer(
        SmtpServer.from_url(url or sink.url),
        ("oncall@example.com", "lead@example.com"),
        "ticketbot@example.com",
        timeout=5.0,
        tls=sink.client_tls,
    )


def channels(sink: SmtpSink, state: Path, clock: FakeClock, url: str | None = None) -> Channels:
    return Channels(
        state, HELPDESK, "host1", mailer=mailer(sink, url), clock=clock, sleep=lambda s: None
    )


def ticket(ticket_id: int, subject: str = "Checkout broken") -> Escalated:
    return Escalated(ticket_id, subject, ("hot",), f"{HELPDESK}/a/tickets/{ticket_id}")


def test_a_mail_per_escalation_over_starttls_with_a_login(
    smtp_server: SmtpSink, tmp_path: Path
) -> None:
    clock = FakeClock(DAY_ONE)
    outcomes = channels(smtp_server, tmp_path, clock).escalated(
        [ticket(7), ticket(8, "Refunds failing")], run_id="r1"
    )
    assert [(o.channel, o.outcome) for o in outcomes] == [("email", "sent"), ("email", "sent")]
    assert smtp_server.logins == ["alerts@example.com", "alerts@example.com"]
    assert smtp_server.tls_used == [True, True]
    assert smtp_server.envelopes[0] == (
        "ticketbot@example.com",
        ["oncall@example.com", "lead@example.com"],
    )
    first = smtp_server.messages[0]
    assert first["Subject"] == "[ticketbot] Ticket #7 escalated: Checkout broken"
    assert first["Auto-Submitted"] == "auto-generated"
    text = first.get_body(("plain",))
    assert text is not None
    assert f"{HELPDESK}/a/tickets/7" in text.get_content()
    # A second run does not mail the same escalation again.
    assert channels(smtp_server, tmp_path, clock).escalated([ticket(7)], run_id="r2") == []
    assert len(smtp_server.messages) == 2


def test_ticket_text_is_html_escaped_and_headers_take_no_line_break(
    smtp_server: SmtpSink, tmp_path: Path
) -> None:
    subject = HOSTILE + "\r\nBcc: everyone@example.com"
    channels(smtp_server, tmp_path, FakeClock(DAY_ONE)).escalated([ticket(9, subject)], run_id="r1")
    (mail,) = smtp_server.messages
    html = mail.get_body(("html",))
    assert html is not None
    content = html.get_content()
    assert "<img" not in content
    assert 'href="https://evil.example"' not in content
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;a href=" in content
    assert mail["Bcc"] is None
    assert smtp_server.envelopes[0][1] == ["oncall@example.com", "lead@example.com"]


def test_smtps_and_a_server_without_tls(
    smtps_server: SmtpSink, plain_server: SmtpSink, tmp_path: Path
) -> None:
    assert mailer(smtps_server).send(_mail()) is None
    assert smtps_server.tls_used == [True]
    assert smtps_server.logins == ["alerts@example.com"]
    # No STARTTLS offered, no login asked: the mail goes in clear, as RFC 3207 allows.
    assert mailer(plain_server).send(_mail()) is None
    assert plain_server.tls_used == [False]
    # But a password is never sent in clear: a STARTTLS offer stripped on the way would earn it.
    with_login = plain_server.url.replace("smtp://", f"smtp://alerts:{PASSWORD}@")
    failure = mailer(plain_server, with_login).send(_mail())
    assert failure is not None
    assert "offers no STARTTLS" in failure.detail
    assert PASSWORD not in failure.detail
    assert len(plain_server.messages) == 1


def test_a_refused_login_says_so_without_the_password(
    smtp_server: SmtpSink, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = smtp_server.url.replace(PASSWORD.replace("@", "%40"), "not-the-Passw0rd")
    assert "not-the-Passw0rd" in wrong
    outcomes = channels(smtp_server, tmp_path, FakeClock(DAY_ONE), wrong).escalated(
        [ticket(7)], run_id="r1"
    )
    (outcome,) = outcomes
    assert outcome.outcome == "failed"
    assert "535" in outcome.detail
    for secret in ("not-the-Passw0rd", wrong):
        assert secret not in outcome.detail
        assert secret not in caplog.text
    assert smtp_server.messages == []


def test_an_unreachable_server_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    sink = SmtpSink("plain")
    url = sink.url
    sink.close()
    failure = Mailer(SmtpServer.from_url(url), ("a@example.com",), "t@example.com").send(_mail())
    assert failure is not None
    assert failure.busy
    assert "unreachable" in failure.detail


def test_the_daily_summary_goes_once_a_day(smtp_server: SmtpSink, tmp_path: Path) -> None:
    clock = FakeClock(DAY_ONE)
    chan = channels(smtp_server, tmp_path, clock)
    # The first run ever notes the day: there is nothing to sum up yet.
    assert chan.daily_summary(ticket_url=lambda i: f"{HELPDESK}/a/tickets/{i}") is None
    chan.escalated([ticket(7), ticket(8)], run_id="r1")
    assert chan.daily_summary(ticket_url=str) is None  # the same day
    clock.now += 86400
    later = channels(smtp_server, tmp_path, clock)  # the next day's first cron run
    outcome = later.daily_summary(ticket_url=lambda i: f"{HELPDESK}/a/tickets/{i}")
    assert outcome is not None
    assert outcome.outcome == "sent"
    summary = smtp_server.messages[-1]
    assert str(summary["Subject"]).strip() == (
        "[ticketbot] Daily summary: 2 tickets escalated since 2027-01-15 08:00 UTC"
    )
    body = summary.get_body(("plain",))
    assert body is not None
    assert f"{HELPDESK}/a/tickets/8" in body.get_content()
    assert later.daily_summary(ticket_url=str) is None
    assert len(smtp_server.messages) == 3  # two escalations, one summary


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ConfigError, match="TICKETBOT_SMTP_URL"):
        SmtpServer.from_url("http://mail.example.com")
    assert SmtpServer.from_url("smtps://u:p%40ss@mail.example.com").port == 465
    assert SmtpServer.from_url("smtps://u:p%40ss@mail.example.com").password == "p@ss"
    assert SmtpServer.from_url("smtp://mail.example.com").port == 25
    assert parse_recipients("a@x.com, b@y.com;a@x.com") == ("a@x.com", "b@y.com")
    with pytest.raises(ConfigError, match="TICKETBOT_ALERT_EMAIL"):
        parse_recipients("oncall")


def _mail() -> Mail:
    return Mail("subject", "text", "<p>html</p>")
