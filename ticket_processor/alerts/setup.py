"""The escalation channels (``channels.Channels``) from their configuration, built once per run.

``ChannelConfig`` holds the values the settings give (the run makes it: only the run reads
the settings); a channel whose values are missing is not configured.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..resilience.bounds import WEBHOOK_MAX_BYTES
from ..resilience.deadline import RunDeadline
from ..triage.route_rules import Route, escalation_channels
from .channels import Channels
from .delivery import EXCHANGE_SECONDS, Poster
from .pagerduty import PagerDuty
from .signed_webhook import SignedWebhook
from .teams import Teams


@dataclass(frozen=True)
class ChannelConfig:
    """The channels' settings as values (``repr`` shows no secret)."""

    state_dir: Path
    pagerduty_url: str
    pagerduty_routing_key: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    alert_email: str | None = None
    alert_email_from: str | None = None
    teams_webhook: str | None = field(default=None, repr=False)
    alert_json_url: str | None = field(default=None, repr=False)
    alert_json_secret: str | None = field(default=None, repr=False)
    timeout: float = 5.0
    max_bytes: int = WEBHOOK_MAX_BYTES


def channels_for(
    config: ChannelConfig,
    *,
    helpdesk_url: str,
    routes: Sequence[Route] = (),
    deadline: RunDeadline | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], str | None] = lambda: None,
    source: str | None = None,
) -> Channels:
    """The channels ``config`` configures; ``routes`` narrow them per escalation.

    ``ConfigError`` for a channel half configured (a server without recipients, a signed
    webhook without its secret), before anything is sent."""
    host = source if source is not None else socket.gethostname()
    # One exchange's bound: the setting's, but never below ``EXCHANGE_SECONDS``: the channels
    # deliver beside the triage, and a channel that takes 10 s has taken the post (a shorter
    # bound would send it again).
    exchange = max(config.timeout, EXCHANGE_SECONDS)

    def poster(name: str) -> Poster:
        return Poster(name, timeout=exchange, max_bytes=config.max_bytes, deadline=deadline)

    pagerduty = None
    if config.pagerduty_routing_key:
        pagerduty = PagerDuty(
            config.pagerduty_routing_key, poster("PagerDuty"), url=config.pagerduty_url
        )
    mailer = None
    if config.smtp_url or config.alert_email:
        if not config.smtp_url or not config.alert_email:
            raise ConfigError(
                "TICKETBOT_SMTP_URL and TICKETBOT_ALERT_EMAIL go together: the server to send "
                "through and the recipients; set both, or neither"
            )
        # Here, not at the top: smtplib and the e-mail package are for a run that mails.
        from .mail import Mailer, SmtpServer, parse_recipients

        mailer = Mailer(
            SmtpServer.from_url(config.smtp_url),
            parse_recipients(config.alert_email),
            config.alert_email_from or f"ticketbot@{host}",
            timeout=exchange,
            deadline=deadline,
        )
    teams = Teams(config.teams_webhook, poster("Teams")) if config.teams_webhook else None
    webhook = None
    if config.alert_json_url or config.alert_json_secret:
        if not config.alert_json_url or not config.alert_json_secret:
            raise ConfigError(
                "TICKETBOT_ALERT_JSON_URL and TICKETBOT_ALERT_JSON_SECRET go together: every "
                "post is signed with the secret; set both, or neither"
            )
        webhook = SignedWebhook(
            config.alert_json_url, config.alert_json_secret, poster("JSON webhook")
        )

    def narrowed(titles: Collection[str]) -> frozenset[str] | None:
        return escalation_channels(routes, titles)

    return Channels(
        config.state_dir,
        helpdesk_url,
        host,
        pagerduty=pagerduty,
        mailer=mailer,
        teams=teams,
        webhook=webhook,
        narrowed=narrowed,
        deadline=deadline,
        sleep=sleep,
        stop=stop,
    )
