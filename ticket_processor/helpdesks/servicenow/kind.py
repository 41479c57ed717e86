"""ServiceNow as the registry knows it: its settings (``SERVICENOW_*``) and its ``KIND``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr, field_validator

from ...common.helpdesk_settings import HelpdeskSettings, check_url
from ...common.setting import EVERY_COMMAND, setting
from ...errors import ConfigError
from ..capabilities import IncidentLinking
from ..descriptor import HelpdeskKind

# A record's ``contact_type`` as the channel ticketbot names (``Ticket.channel``).
CONTACT_CHANNEL = {
    "email": "email",
    "phone": "phone",
    "self-service": "web",
    "walk-in": "walk_in",
    "chat": "chat",
    "virtual_agent": "virtual_agent",
}
TABLES = ("incident", "sn_customerservice_case")


class ServiceNowSettings(HelpdeskSettings):
    """``SERVICENOW_URL`` (the sandbox) or ``SERVICENOW_INSTANCE``; basic auth or OAuth 2."""

    CHANNELS: ClassVar[tuple[str, ...]] = tuple(CONTACT_CHANNEL.values())
    WARN_IF_SHORT: ClassVar[tuple[str, ...]] = ("servicenow_password", "servicenow_client_secret")

    servicenow_instance: str | None = setting(
        None,
        env="SERVICENOW_INSTANCE",
        help="The `acme` of `acme.service-now.com` (with `TICKETBOT_HELPDESK=servicenow`).",
        applies=EVERY_COMMAND,
        # No declared hint: the validator's message is the hint, with the instance it found.
    )
    servicenow_url: str | None = setting(
        None,
        env="SERVICENOW_URL",
        help="The full base URL instead of the instance name (the local sandbox's).",
        applies=EVERY_COMMAND,
        hint="e.g. http://127.0.0.1:8767 for the local sandbox",
    )
    servicenow_username: str | None = setting(
        None,
        env="SERVICENOW_USERNAME",
        help="The integration user's `user_name` (basic auth, or OAuth's password grant); it "
        "needs the itil role (sn_customerservice_agent for cases, knowledge for articles).",
        applies=EVERY_COMMAND,
    )
    servicenow_password: SecretStr | None = setting(
        None,
        env="SERVICENOW_PASSWORD",
        help="That user's password.",
        applies=EVERY_COMMAND,
    )
    servicenow_client_id: str | None = setting(
        None,
        env="SERVICENOW_CLIENT_ID",
        help="An OAuth client's id (System OAuth > Application Registry): without a user name "
        "the client credentials grant, with one the password grant.",
        applies=EVERY_COMMAND,
    )
    servicenow_client_secret: SecretStr | None = setting(
        None,
        env="SERVICENOW_CLIENT_SECRET",
        help="That OAuth client's secret.",
        applies=EVERY_COMMAND,
    )
    servicenow_table: str = setting(
        "incident",
        env="SERVICENOW_TABLE",
        help="The table whose records are the tickets: `incident` or `sn_customerservice_case`.",
        applies=EVERY_COMMAND,
        hint="incident or sn_customerservice_case",
    )
    servicenow_knowledge_bases: str = setting(
        "",
        env="SERVICENOW_KNOWLEDGE_BASES",
        help="Knowledge bases (titles or sys_ids, comma-separated) whose published articles "
        "are the help centre; empty: every published article the user can read.",
        applies=EVERY_COMMAND,
    )

    _check_url = field_validator("servicenow_url", mode="before")(check_url)

    @field_validator("servicenow_table", mode="before")
    @classmethod
    def _check_table(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or "incident"
            if value not in TABLES:
                raise ValueError("must be incident or sn_customerservice_case")
        return value

    @field_validator("servicenow_instance", mode="before")
    @classmethod
    def _check_instance(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().removeprefix("https://").rstrip("/")
            value = value.removesuffix(".service-now.com")
            if value and not value.replace("-", "").isalnum():
                raise ValueError(_instance_only(value))
            return value or None
        return value

    @property
    def base_url(self) -> str:
        """``SERVICENOW_URL`` if set (the sandbox), else ``https://{instance}.service-now.com``."""
        if self.servicenow_url:
            return self.servicenow_url
        if self.servicenow_instance:
            return f"https://{self.servicenow_instance}.service-now.com"
        raise ConfigError(
            "SERVICENOW_INSTANCE is not set: put it (or SERVICENOW_URL) in .env or the "
            "environment (TICKETBOT_HELPDESK=servicenow)"
        )

    @property
    def knowledge_bases(self) -> tuple[str, ...]:
        return tuple(b.strip() for b in self.servicenow_knowledge_bases.split(",") if b.strip())

    def require(self) -> None:
        _ = self.base_url
        client = self.servicenow_client_id
        if client and self.servicenow_client_secret is None:
            raise ConfigError(
                "SERVICENOW_CLIENT_SECRET is not set: put the OAuth client's secret in .env or "
                "the environment (System OAuth > Application Registry)"
            )
        if client and not self.servicenow_username:
            return  # the client credentials grant needs no user
        if not self.servicenow_username:
            raise ConfigError(
                "SERVICENOW_USERNAME is not set: put the integration user's user_name in .env "
                "or the environment"
            )
        if self.servicenow_password is None:
            raise ConfigError(
                "SERVICENOW_PASSWORD is not set: put the integration user's password in .env "
                "or the environment"
            )


def _instance_only(given: str) -> str:
    """One hint for a value that is more than the instance name: the name it holds, when it
    holds one (a page's address pasted whole: ``acme.service-now.com/now/nav/ui``)."""
    host = given.removeprefix("http://").split("/", 1)[0].split("?", 1)[0]
    found = host.removesuffix(".service-now.com")
    if host.endswith(".service-now.com") and found.replace("-", "").isalnum():
        return f"set the instance name only: SERVICENOW_INSTANCE={found} (not a page's address)"
    return "set the instance name only: the 'acme' of acme.service-now.com"


KIND = HelpdeskKind(
    name="servicenow",
    label="ServiceNow",
    settings=ServiceNowSettings,
    adapter="ticket_processor.helpdesks.servicenow.adapter:build",
    seed="ticket_processor.helpdesks.servicenow.seed:seed",
    sandbox="ticket_processor.helpdesks.servicenow.sandbox.command",
    desk="ticket_processor.helpdesks.servicenow.sandbox.desk:serve",
    webhooks="ticket_processor.helpdesks.servicenow.webhooks:SETUP",
    receiver="ticket_processor.helpdesks.servicenow.deliveries:RECEIVER",
    # A record's reports of one incident are children of a parent record of the same table
    # (incident's ``parent_incident``, a case's ``parent``): an agent sees them in the parent's
    # related list and closes them with it. A problem record would be the ITIL answer for a root
    # cause, but it is another table with its own workflow and roles ticketbot's user may lack.
    linking=IncidentLinking(
        problem_type=False,
        group_noun="parent record",
        group_says=(
            "ticketbot opened this parent record for them: their records are its children "
            "(parent incident); answer them together from here."
        ),
    ),
    account_variables=("SERVICENOW_INSTANCE", "SERVICENOW_USERNAME", "SERVICENOW_PASSWORD"),
    sandbox_variables=(
        ("SERVICENOW_URL", "url"),
        ("SERVICENOW_USERNAME", "user"),
        ("SERVICENOW_PASSWORD", "password"),
    ),
    answers=True,
    slas="ticket_processor.helpdesks.servicenow.slas:read_slas",
    deletions="ticket_processor.helpdesks.servicenow.deletions:read_deletions",
)
