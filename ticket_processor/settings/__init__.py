"""Settings: one validated model, read once by the command (``commands/common.load``).

Only the composition root (``run/``) and the commands hold a ``Settings``; every other part is
handed the values it needs (an option record such as ``passes/types.RunOptions``, or parameters).

Each helpdesk's own variables (``ZENDESK_*``, ``FRESHDESK_*``) are its kind's settings model
(a ``HelpdeskSettings`` in ``helpdesks/<kind>/kind.py``); this module composes them: every
kind's settings are read and validated, ``TICKETBOT_HELPDESK`` chooses which one runs. The kinds
are handed in (``read.read_settings(..., kinds=...)``; ``run/connect.load_settings`` passes
``helpdesks.registry.KINDS``), so settings sits below the helpdesks and never imports one.

Precedence, highest first: a command-line flag, the real environment, a ``.env`` file, the
default — the convention of python-dotenv and twelve-factor apps: a ``.env`` never overrides
what the environment says. Every error names the variable and how to fix it. Secrets are
``SecretStr`` so they never print, not even in a traceback or a ``repr``.

A ``.env`` is read by python-dotenv without expansion (``${VAR}`` stays as written; quotes
around a value are removed, a `` #`` after an unquoted one starts a comment, which Docker's
``--env-file`` would keep as part of the value). A
name ticketbot does not know is never dropped without a word: an unknown ``TICKETBOT_*`` name,
an ``OPENAI_*``, ``ZENDESK_*`` or ``FRESHDESK_*`` name close to a known one (``OPENAI_BASEURL``,
``ZENDESK_APITOKEN``), in the environment or the ``.env``, and a lower-case name in the ``.env``
(names are case sensitive, so ``ticketbot_workers`` sets nothing) each give a warning naming
the closest known variable (``name_warnings``). A near miss of ``OPENAI_BASE_URL`` while it is
unset is refused: the fallback would send ticket text to OpenAI's public endpoint.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import SecretStr, ValidationInfo, field_validator

from ..common.helpdesk_settings import HelpdeskSettings, check_url
from ..common.scrub import Scrubber, short_secret_warnings, url_credentials
from ..common.setting import declared_hints, declared_variables, not_one_of
from ..errors import ConfigError
from ..models import ISO_639_1
from .fields import DeclaredSettings
from .values import parse_thresholds, scope_channels
from .variables import SMTP_FORM

DeskT = TypeVar("DeskT", bound=HelpdeskSettings)

# Field name -> variable, and variable -> the hint its error adds: read off the declaration.
ENV_VARS: dict[str, str] = declared_variables(DeclaredSettings)
HINTS: dict[str, str] = declared_hints(DeclaredSettings)


class Settings(DeclaredSettings):
    """Every knob ticketbot has, validated. Build it with ``read_settings``."""

    @field_validator("cascade_fields")
    @classmethod
    def _check_cascade_fields(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in ("category", "urgency", "sentiment", "subcategory")]
        if not names or unknown:
            raise ValueError(
                "must list fields among category, urgency, sentiment, subcategory, comma-separated"
            )
        return ",".join(names)

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            names = tuple(part.strip() for part in value.split(",") if part.strip())
            if not names:
                raise ValueError("must name at least one model")
            return names
        return value

    @field_validator("spam_known_senders", mode="before")
    @classmethod
    def _split_senders(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        senders = tuple(part.strip().lower() for part in value.split(",") if part.strip())
        for sender in senders:
            if "@" not in sender or any(c.isspace() for c in sender):
                raise ValueError(
                    f"{sender!r} is neither an e-mail address nor an @domain; give them "
                    "separated by commas, such as billing@acme.example,@partner.example"
                )
        return senders

    @field_validator("helpdesk", mode="before")
    @classmethod
    def _check_helpdesk(cls, value: object, info: ValidationInfo) -> object:
        given = value
        value = value.strip().lower() if isinstance(value, str) else value
        kinds = list(info.data.get("desks", {}))
        if value not in kinds:
            # In the words every setting with a few accepted values uses (``error_text``): the
            # kinds are the registry's, known only here, so pydantic's literal check cannot.
            raise ValueError(not_one_of(str(given), kinds))
        return value

    _check_url = field_validator("openai_base_url", mode="before")(check_url)

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database(cls, value: object) -> object:
        # Checked when read, so a dry run (which may open no store) refuses what a real run
        # would; the message never quotes the URL (it carries the password).
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and text.strip():
            scheme = text.strip().partition("://")[0].lower()
            if scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
                raise ValueError(
                    "must be a postgresql:// URL (postgresql://host:5432/database with the "
                    f"user and password before the host), not {scheme[:20]!r}"
                )
        return value

    @field_validator("agent_language", mode="before")
    @classmethod
    def _check_agent_language(cls, value: object) -> object:
        code = value.strip().lower() if isinstance(value, str) else value
        if not isinstance(code, str) or code not in ISO_639_1:
            raise ValueError("must be an ISO 639-1 language code such as en, de or fr")
        return code

    @field_validator("smtp_url", mode="before")
    @classmethod
    def _check_smtp(cls, value: object) -> object:
        # The message never quotes the URL: it carries the password. Its hint has placeholders
        # in angle brackets: a plain user:password@ would be masked as a URL's credentials.
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and text.strip():
            scheme = text.strip().partition("://")[0].lower()
            if scheme not in ("smtp", "smtps") or "://" not in text:
                raise ValueError(
                    f"must be {SMTP_FORM} (STARTTLS when the server offers "
                    f"it) or smtps://... (TLS from the start), not {scheme[:20]!r}"
                )
        return value

    @field_validator("alert_email")
    @classmethod
    def _check_mail_pair(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A TICKETBOT_SMTP_URL that failed its own check is absent here: its error says it all.
        given = "smtp_url" in info.data
        if given and bool(value and value.strip()) != (info.data["smtp_url"] is not None):
            raise ValueError(
                "TICKETBOT_SMTP_URL and TICKETBOT_ALERT_EMAIL go together (the server to send "
                "through and the recipients): set both, or neither"
            )
        for address in (value or "").replace(";", ",").split(","):
            address = address.strip()
            if address and ("@" not in address or any(c.isspace() for c in address)):
                raise ValueError(
                    f"{address!r} is not an e-mail address; give addresses separated by commas"
                )
        return value

    @field_validator("alert_json_secret")
    @classmethod
    def _check_json_pair(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        given = "alert_json_url" in info.data  # absent: it failed its own check, said already
        if given and (value is not None) != (info.data["alert_json_url"] is not None):
            raise ValueError(
                "TICKETBOT_ALERT_JSON_URL and TICKETBOT_ALERT_JSON_SECRET go together (every "
                "post is signed with the secret): set both, or neither"
            )
        return value

    @field_validator("apply_at", "suggest_at")
    @classmethod
    def _check_thresholds(cls, value: str | None) -> str | None:
        parse_thresholds(value, setting="value")  # raises ValueError with what is wrong
        return value

    # -- resolved values -------------------------------------------------------------

    @property
    def desk(self) -> HelpdeskSettings:
        """The chosen helpdesk's settings (``TICKETBOT_HELPDESK``)."""
        return self.desks[self.helpdesk]

    def desk_settings(self, kind: type[DeskT]) -> DeskT:
        """The settings of the helpdesk whose model is ``kind``, chosen or not."""
        for desk in self.desks.values():
            if isinstance(desk, kind):
                return desk
        raise LookupError(f"no {kind.__name__} in these settings")

    @property
    def helpdesk_base_url(self) -> str:
        return self.desk.base_url

    def require_helpdesk(self) -> None:
        """Raise a ConfigError naming the first missing setting of the chosen helpdesk, and
        the helpdesk whose settings are all there, if another's are (a Freshdesk's settings
        without ``TICKETBOT_HELPDESK`` were told "ZENDESK_SUBDOMAIN is not set")."""
        try:
            self.desk.require()
        except ConfigError as exc:
            ready = [name for name, desk in self.desks.items() if _complete(desk)]
            if not ready or self.helpdesk in ready:
                raise
            raise ConfigError(
                f"{exc}; the settings of {ready[0]} are all set: choose it with "
                f"TICKETBOT_HELPDESK={ready[0]}"
            ) from None

    @property
    def llm_configured(self) -> bool:
        """True when an LLM endpoint is configured (an OpenAI key or a compatible base URL)."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values, for scrubbing anything that might echo them.

        The userinfo of a URL setting (``https://user:pass@host``) and its secret-looking query
        values (``?api-key=...``) count as secrets too.
        """
        desks = tuple(secret for desk in self.desks.values() for secret in desk.secrets)
        values = (
            self.openai_api_key,
            self.alert_webhook,
            self.pagerduty_routing_key,
            self.smtp_url,
            self.teams_webhook,
            self.alert_json_url,
            self.alert_json_secret,
            self.metrics_pushgateway,
            self.llm_budget,
            self.dashboard_token,
            self.serve_secret,
            self.serve_token,
            self.encryption_key,
        )
        found = tuple(v.get_secret_value() for v in values if v and v.get_secret_value())
        database = self.database_url.get_secret_value() if self.database_url else None
        smtp = self.smtp_url.get_secret_value() if self.smtp_url else None
        return (
            desks
            + found
            + url_credentials(self.openai_base_url)
            + url_credentials(database)
            + url_credentials(smtp)
        )

    def scrubber(self) -> Scrubber:
        """The one scrubber for everything this configuration might leak (see ``common.scrub``)."""
        identities = tuple(who for desk in self.desks.values() for who in desk.identities)
        return Scrubber(self.secrets, identities=identities)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Configuration that works but deserves a word on stderr (printed once by the CLI)."""
        named = {
            var: value
            for desk in self.desks.values()
            for var, value in desk.short_secret_candidates.items()
        }
        if self.openai_api_key is not None:
            named[ENV_VARS["openai_api_key"]] = self.openai_api_key.get_secret_value()
        return (
            self.name_warnings
            + tuple(short_secret_warnings(named))
            + self._scope_channel_warnings()
        )

    def _scope_channel_warnings(self) -> tuple[str, ...]:
        """A ``TICKETBOT_SCOPE`` channel the configured helpdesk's tickets never carry (a typo
        such as ``channel=emial``): every ticket would be silently out of scope."""
        desk = self.desks.get(self.helpdesk)
        known = desk.CHANNELS if desk is not None else ()
        unknown = [c for c in scope_channels(self.scope) if known and c not in known]
        if not unknown:
            return ()
        return (
            f"TICKETBOT_SCOPE: channel {', '.join(map(repr, unknown))} is not a channel of "
            f"{self.helpdesk} tickets, so no ticket matches it; the channels are "
            f"{', '.join(known)}",
        )


def _complete(desk: HelpdeskSettings) -> bool:
    """Whether every setting ``desk`` requires is there."""
    try:
        desk.require()
    except ConfigError:
        return False
    return True
