"""Freshdesk as the registry knows it: its settings (``FRESHDESK_*``) and its ``KIND``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr, field_validator

from ...common.helpdesk_settings import HelpdeskSettings, check_url
from ...common.setting import EVERY_COMMAND, setting
from ...errors import ConfigError
from ..capabilities import IncidentLinking
from ..descriptor import HelpdeskKind

# A ticket's ``source`` as the channel ticketbot names (``Ticket.channel``); another source
# has no channel, so no ``TICKETBOT_SCOPE`` channel admits it.
SOURCE_CHANNEL = {
    1: "email",
    2: "web",
    3: "phone",
    7: "chat",
    9: "feedback_widget",
    10: "outbound_email",
}


class FreshdeskSettings(HelpdeskSettings):
    """``FRESHDESK_URL`` (the sandbox) or ``FRESHDESK_DOMAIN``, and an agent's API key."""

    CHANNELS: ClassVar[tuple[str, ...]] = tuple(SOURCE_CHANNEL.values())

    freshdesk_domain: str | None = setting(
        None,
        env="FRESHDESK_DOMAIN",
        help="The `acme` of `acme.freshdesk.com` (with `TICKETBOT_HELPDESK=freshdesk`).",
        applies=EVERY_COMMAND,
        # No declared hint: the validator's message is the hint, with the domain it found.
    )
    freshdesk_url: str | None = setting(
        None,
        env="FRESHDESK_URL",
        help="The full base URL instead of the domain (the local sandbox's).",
        applies=EVERY_COMMAND,
        hint="e.g. http://127.0.0.1:8766 for the local sandbox",
    )
    freshdesk_api_key: SecretStr | None = setting(
        None,
        env="FRESHDESK_API_KEY",
        help="The agent's API key (basic auth, the key as the user name; Profile settings > "
        "Your API Key).",
        applies=EVERY_COMMAND,
    )

    _check_url = field_validator("freshdesk_url", mode="before")(check_url)

    @field_validator("freshdesk_domain", mode="before")
    @classmethod
    def _check_domain(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().removeprefix("https://").rstrip("/")
            value = value.removesuffix(".freshdesk.com")
            if value and not value.replace("-", "").isalnum():
                raise ValueError(_domain_only(value))
            return value or None
        return value

    @property
    def base_url(self) -> str:
        """``FRESHDESK_URL`` if set (the sandbox), else ``https://{domain}.freshdesk.com``."""
        if self.freshdesk_url:
            return self.freshdesk_url
        if self.freshdesk_domain:
            return f"https://{self.freshdesk_domain}.freshdesk.com"
        raise ConfigError(
            "FRESHDESK_DOMAIN is not set: put it (or FRESHDESK_URL) in .env or the environment "
            "(TICKETBOT_HELPDESK=freshdesk)"
        )

    def require(self) -> None:
        _ = self.base_url
        if self.freshdesk_api_key is None:
            raise ConfigError(
                "FRESHDESK_API_KEY is not set: put it in .env or the environment "
                "(Freshdesk > Profile settings > Your API Key)"
            )


def _domain_only(given: str) -> str:
    """One hint for a value that is more than the domain: the domain it holds, when it holds
    one (a page's address pasted whole: ``acme.freshdesk.com/a/tickets``)."""
    host = given.removeprefix("http://").split("/", 1)[0].split("?", 1)[0]
    found = host.removesuffix(".freshdesk.com")
    if host.endswith(".freshdesk.com") and found.replace("-", "").isalnum():
        return f"set the domain only: FRESHDESK_DOMAIN={found} (not a page's address)"
    return "set the domain only: the 'acme' of acme.freshdesk.com"


KIND = HelpdeskKind(
    name="freshdesk",
    label="Freshdesk",
    settings=FreshdeskSettings,
    adapter="ticket_processor.helpdesks.freshdesk.adapter:build",
    seed="ticket_processor.helpdesks.freshdesk.seed:seed",
    sandbox="ticket_processor.helpdesks.freshdesk.sandbox.command",
    desk="ticket_processor.helpdesks.freshdesk.sandbox.desk:serve",
    webhooks="ticket_processor.helpdesks.freshdesk.webhooks:SETUP",
    receiver="ticket_processor.helpdesks.freshdesk.deliveries:RECEIVER",
    # Freshdesk reads tickets one request each unless several new ones are read in one list
    # request (``Wiring.burst_reads``), and its limit counts requests a minute: ``serve``
    # gathers a second of deliveries. Zendesk's ``show_many`` reads any number at once.
    gather_between=1.0,
    linking=IncidentLinking(
        problem_type=False,
        group_noun="tracker ticket",
        group_says=(
            "ticketbot opened this tracker ticket for them: their tickets are linked to it "
            "(associated tickets); answer them together from here."
        ),
    ),
    account_variables=("FRESHDESK_DOMAIN", "FRESHDESK_API_KEY"),
    sandbox_variables=(("FRESHDESK_URL", "url"), ("FRESHDESK_API_KEY", "api_key")),
    plans=("trial", "growth", "pro", "enterprise"),
    slas="ticket_processor.helpdesks.freshdesk.slas:read_slas",
    deletions="ticket_processor.helpdesks.freshdesk.deletions:read_deletions",
)
