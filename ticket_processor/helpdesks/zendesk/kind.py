"""Zendesk as the registry knows it: its settings (``ZENDESK_*``) and its ``KIND`` descriptor."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr, field_validator

from ...common.helpdesk_settings import HelpdeskSettings, check_url
from ...common.setting import EVERY_COMMAND, setting
from ...errors import ConfigError
from ..capabilities import IncidentLinking
from ..descriptor import HelpdeskKind


class ZendeskSettings(HelpdeskSettings):
    """``ZENDESK_URL`` (the sandbox) or ``ZENDESK_SUBDOMAIN``, an agent's email and API token,
    or an OAuth token instead of both."""

    IDENTITY_FIELDS: ClassVar[tuple[str, ...]] = ("zendesk_email",)
    CREDENTIAL_URL_FIELDS: ClassVar[tuple[str, ...]] = ("zendesk_url",)
    WARN_IF_SHORT: ClassVar[tuple[str, ...]] = ("zendesk_api_token", "zendesk_oauth_token")
    # ``via.channel`` as Zendesk names a ticket's channel (its "via types" reference: the
    # ones tickets are created through; the list grows with Zendesk's messaging channels).
    CHANNELS: ClassVar[tuple[str, ...]] = (
        "email",
        "web",
        "api",
        "chat",
        "voice",
        "sms",
        "mobile",
        "mobile_sdk",
        "help_center",
        "native_messaging",
        "whatsapp",
        "facebook",
        "instagram_dm",
        "twitter",
        "line",
        "wechat",
        "any_channel",
        "side_conversation",
        "rule",
        "system",
        "sample_ticket",
        "closed_ticket",
    )

    zendesk_url: str | None = setting(
        None,
        env="ZENDESK_URL",
        help="The full base URL instead of the subdomain (the local sandbox's).",
        applies=EVERY_COMMAND,
        hint="e.g. http://127.0.0.1:8765 for the local sandbox",
    )
    zendesk_subdomain: str | None = setting(
        None,
        env="ZENDESK_SUBDOMAIN",
        help="The `acme` of `acme.zendesk.com`.",
        applies=EVERY_COMMAND,
        hint="the 'acme' in acme.zendesk.com",
    )
    zendesk_email: str | None = setting(
        None,
        env="ZENDESK_EMAIL",
        help="The agent or admin the API token belongs to.",
        applies=EVERY_COMMAND,
    )
    zendesk_api_token: SecretStr | None = setting(
        None,
        env="ZENDESK_API_TOKEN",
        help="The API token (basic auth `{email}/token:{token}`; an admin's reads the "
        "incremental export, an agent's falls back to the Search API).",
        applies=EVERY_COMMAND,
    )
    zendesk_oauth_token: SecretStr | None = setting(
        None,
        env="ZENDESK_OAUTH_TOKEN",
        help="An OAuth bearer token instead of the email and API token.",
        applies=EVERY_COMMAND,
    )

    _check_url = field_validator("zendesk_url", mode="before")(check_url)

    @field_validator("zendesk_subdomain", mode="before")
    @classmethod
    def _check_subdomain(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().removesuffix(".zendesk.com")
            if value and not value.replace("-", "").isalnum():
                raise ValueError("must be the subdomain only, such as 'acme'")
            return value or None
        return value

    @property
    def base_url(self) -> str:
        """``ZENDESK_URL`` if set (the sandbox), else ``https://{subdomain}.zendesk.com``."""
        if self.zendesk_url:
            return self.zendesk_url
        if self.zendesk_subdomain:
            return f"https://{self.zendesk_subdomain}.zendesk.com"
        raise ConfigError(
            "ZENDESK_SUBDOMAIN is not set: put it (or ZENDESK_URL) in .env or the environment"
        )

    def require(self) -> None:
        _ = self.base_url
        if self.zendesk_oauth_token is not None:
            return
        if not self.zendesk_email:
            raise ConfigError(
                "ZENDESK_EMAIL is not set: put the agent's email in .env or the environment"
            )
        if self.zendesk_api_token is None:
            raise ConfigError(
                "ZENDESK_API_TOKEN is not set: put it in .env or the environment "
                "(Admin Center > Apps and integrations > Zendesk API)"
            )


KIND = HelpdeskKind(
    name="zendesk",
    label="Zendesk",
    settings=ZendeskSettings,
    adapter="ticket_processor.helpdesks.zendesk.adapter:build",
    seed="ticket_processor.helpdesks.zendesk.seed:seed",
    sandbox="ticket_processor.helpdesks.zendesk.sandbox.command",
    desk="ticket_processor.helpdesks.zendesk.sandbox.desk:serve",
    webhooks="ticket_processor.helpdesks.zendesk.webhooks:SETUP",
    receiver="ticket_processor.helpdesks.zendesk.deliveries:RECEIVER",
    linking=IncidentLinking(
        problem_type=True,
        group_noun="problem ticket",
        group_says=(
            "This ticket, the first report, is now the problem ticket: the others are its "
            "incidents, and solving it solves them."
        ),
    ),
    account_variables=("ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"),
    sandbox_variables=(
        ("ZENDESK_URL", "url"),
        ("ZENDESK_EMAIL", "email"),
        ("ZENDESK_API_TOKEN", "token"),
    ),
    plans=("team", "growth", "professional", "enterprise", "high_volume"),
    reply_stamps=False,
    slas="ticket_processor.helpdesks.zendesk.slas:read_slas",
    deletions="ticket_processor.helpdesks.zendesk.deletions:read_deletions",
)
