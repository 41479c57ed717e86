"""Teams (an Adaptive Card whose ticket text is Markdown-escaped) and the JSON webhook signed with
HMAC-SHA256, each posted to a real local receiver; routes narrowing an escalation's channels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.webhook import Receiver

from ticket_processor.alerts.channels import Channels, Escalated
from ticket_processor.alerts.delivery import Poster
from ticket_processor.alerts.setup import ChannelConfig, channels_for
from ticket_processor.alerts.signed_webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignedWebhook,
    verify,
)
from ticket_processor.alerts.teams import Teams, teams_escape
from ticket_processor.errors import ConfigError
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.pagerduty import PagerDutyStandin
from ticket_processor.triage.routing import parse_routes

HELPDESK = "https://acme.zendesk.com"
SECRET = "whsec-0123456789-HMAC-secret"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"
HOSTILE = "[Sign in](https://evil.example) **now** <at>everyone</at> # 1."


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def poster(name: str) -> Poster:
    return Poster(name, timeout=2.0)


def ticket(
    ticket_id: int, subject: str = "Checkout broken", routes: tuple[str, ...] = ("hot",)
) -> Escalated:
    return Escalated(ticket_id, subject, routes, f"{HELPDESK}/agent/tickets/{ticket_id}")


def test_teams_gets_one_adaptive_card_with_the_text_escaped(
    receiver: Receiver, tmp_path: Path
) -> None:
    chan = Channels(tmp_path, HELPDESK, "host1", teams=Teams(receiver.url, poster("Teams")))
    outcomes = chan.escalated([ticket(7, HOSTILE), ticket(8)], run_id="r1")
    assert [(o.channel, o.outcome, o.tickets) for o in outcomes] == [("teams", "sent", (7, 8))]
    (body,) = receiver.bodies
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    texts = [block["text"] for block in card["body"]]
    assert "2 tickets escalated" in texts[0]
    line = texts[1]
    assert "[Sign in](https://evil.example)" not in line
    assert "**now**" not in line
    assert r"\[Sign in\]\(https://evil\.example\) \*\*now\*\*" in line
    assert [a["url"] for a in card["actions"]] == [
        f"{HELPDESK}/agent/tickets/7",
        f"{HELPDESK}/agent/tickets/8",
    ]
    assert chan.escalated([ticket(7, HOSTILE)], run_id="r2") == []  # not twice
    assert teams_escape("a\nb") == "a b"


def test_the_json_webhook_is_signed_and_verifiable(receiver: Receiver, tmp_path: Path) -> None:
    webhook = SignedWebhook(receiver.url, SECRET, poster("JSON webhook"))
    chan = Channels(tmp_path, HELPDESK, "host1", webhook=webhook)
    assert [o.outcome for o in chan.escalated([ticket(7, HOSTILE)], run_id="r1")] == ["sent"]
    (body,) = receiver.bodies
    assert body["event"] == "tickets_escalated"
    assert body["tickets"] == [
        {"id": 7, "subject": HOSTILE, "routes": ["hot"], "url": f"{HELPDESK}/agent/tickets/7"}
    ]
    headers, raw = receiver.headers[0], receiver.raw[0]
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert abs(int(headers[TIMESTAMP_HEADER]) - time.time()) < 60
    assert verify(SECRET, headers, raw, now=time.time())
    assert not verify("another secret", headers, raw, now=time.time())
    assert not verify(SECRET, headers, raw + b" ", now=time.time())
    assert not verify(SECRET, headers, raw, now=time.time() + 3600)  # a replay an hour on
    assert SECRET not in str(headers)
    assert SECRET.encode() not in raw


def test_a_failing_receiver_is_reported_without_its_url_or_secret(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.status = 403
    url = receiver.url  # carries its path's token, as a Teams Workflows URL carries its sig
    chan = Channels(
        tmp_path,
        HELPDESK,
        "host1",
        teams=Teams(url, poster("Teams")),
        webhook=SignedWebhook(url, SECRET, poster("JSON webhook")),
    )
    outcomes = chan.escalated([ticket(7)], run_id="r1")
    assert [(o.channel, o.outcome) for o in outcomes] == [
        ("teams", "failed"),
        ("webhook", "failed"),
    ]
    for outcome in outcomes:
        assert "HTTP 403" in outcome.detail
    for secret in (url, "/services/T000/B000/secret", SECRET):
        assert all(secret not in o.detail for o in outcomes)
        assert secret not in caplog.text
    receiver.status = 200
    assert [o.outcome for o in chan.escalated([ticket(7)], run_id="r2")] == ["sent", "sent"]


def test_a_route_narrows_the_channels_of_its_escalations(
    receiver: Receiver, second_receiver: Receiver, tmp_path: Path
) -> None:
    book = parse_routes(
        '[[route]]\nname = "vip"\nwhen = { urgency = "critical" }\nescalate = true\n'
        'channels = ["teams"]\n\n'
        '[[route]]\nname = "hot"\nwhen = { urgency = "high" }\nescalate = true\n'
    )
    with PagerDutyStandin() as pagerduty:
        config = ChannelConfig(
            state_dir=tmp_path,
            pagerduty_url=pagerduty.url,
            pagerduty_routing_key=ROUTING_KEY,
            teams_webhook=receiver.url,
            alert_json_url=second_receiver.url,
            alert_json_secret=SECRET,
        )
        chan = channels_for(config, helpdesk_url=HELPDESK, routes=book.routes, source="host1")
        vip = ticket(1, routes=(book.routes[0].title,))
        hot = ticket(2, routes=(book.routes[1].title,))
        outcomes = chan.escalated([vip, hot], run_id="r1")
        sent = sorted((o.channel, o.tickets) for o in outcomes if o.outcome == "sent")
        assert sent == [("pagerduty", (2,)), ("teams", (1, 2)), ("webhook", (2,))]
        assert [e["dedup_key"].endswith(":ticket:2") for e in pagerduty.state.events] == [True]


def test_channel_settings_that_cannot_work_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TICKETBOT_ALERT_JSON_SECRET"):
        channels_for(
            ChannelConfig(tmp_path, "http://x", alert_json_url="http://x/hook"), helpdesk_url="h"
        )
    with pytest.raises(ConfigError, match="TICKETBOT_ALERT_EMAIL"):
        channels_for(ChannelConfig(tmp_path, "http://x", smtp_url="smtp://h"), helpdesk_url="h")
    with pytest.raises(Exception, match="channels"):
        parse_routes(
            '[[route]]\nname = "x"\nwhen = { urgency = "high" }\nescalate = true\n'
            'channels = ["pager"]\n'
        )
    with pytest.raises(Exception, match="escalate"):
        parse_routes(
            '[[route]]\nname = "x"\nwhen = { urgency = "high" }\ngroup = "G"\n'
            'channels = ["email"]\n'
        )
    assert "secret" not in repr(
        ChannelConfig(tmp_path, "u", alert_json_url="u", alert_json_secret="secret")
    )


def test_nothing_configured_sends_nothing(tmp_path: Path) -> None:
    chan = Channels(tmp_path, HELPDESK, "host1")
    assert chan.configured == ()
    assert chan.escalated([ticket(1)], run_id="r1") == []
    assert not (tmp_path / "escalations.json").exists()


def test_the_settings_refuse_half_a_channel_without_quoting_a_secret() -> None:
    base = {"ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "a@b.c"}
    cases = {
        "TICKETBOT_ALERT_JSON_SECRET": {"TICKETBOT_ALERT_JSON_SECRET": SECRET},
        "TICKETBOT_SMTP_URL and TICKETBOT_ALERT_EMAIL": {
            "TICKETBOT_SMTP_URL": "smtp://u:Sup3rSecretPw@mail.example.com"
        },
        "not an e-mail address": {
            "TICKETBOT_SMTP_URL": "smtp://u:Sup3rSecretPw@mail.example.com",
            "TICKETBOT_ALERT_EMAIL": "oncall",
        },
        "must be smtp://": {
            "TICKETBOT_SMTP_URL": "https://u:Sup3rSecretPw@mail.example.com",
            "TICKETBOT_ALERT_EMAIL": "a@example.com",
        },
    }
    for said, env in cases.items():
        with pytest.raises(ConfigError) as refused:
            load_settings({**base, **env}, env_file=None)
        assert said in str(refused.value)
        assert SECRET not in str(refused.value)
        assert "Sup3rSecretPw" not in str(refused.value)
    settings = load_settings(
        {
            **base,
            "TICKETBOT_SMTP_URL": "smtps://u:Sup3rSecretPw@mail.example.com",
            "TICKETBOT_ALERT_EMAIL": "a@example.com, b@example.com",
            "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        },
        env_file=None,
    )
    assert "Sup3rSecretPw" in settings.secrets
    assert ROUTING_KEY in settings.secrets
