"""Settings: one validated model, read once in ``cli.py`` and passed down as a value.

Precedence, highest first: a command-line flag, the real environment, a ``.env`` file, the
default — the convention of python-dotenv and twelve-factor apps: a ``.env`` never overrides
what the environment says. Every error names the variable and how to fix it. Secrets are
``SecretStr`` so they never print, not even in a traceback or a ``repr``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from .errors import ConfigError, plain_message
from .ops.scrub import Scrubber, short_secret_warnings, url_credentials
from .state.cache import DEFAULT_MAX_ENTRIES

DEFAULT_MODEL = "gpt-4o-mini"

# Field name -> environment variable. The variable names are the user-facing contract.
ENV_VARS: dict[str, str] = {
    "helpdesk": "TICKETBOT_HELPDESK",
    "freshdesk_domain": "FRESHDESK_DOMAIN",
    "freshdesk_url": "FRESHDESK_URL",
    "freshdesk_api_key": "FRESHDESK_API_KEY",
    "zendesk_url": "ZENDESK_URL",
    "zendesk_subdomain": "ZENDESK_SUBDOMAIN",
    "zendesk_email": "ZENDESK_EMAIL",
    "zendesk_api_token": "ZENDESK_API_TOKEN",
    "zendesk_oauth_token": "ZENDESK_OAUTH_TOKEN",
    "openai_api_key": "OPENAI_API_KEY",
    "openai_base_url": "OPENAI_BASE_URL",
    "models": "TICKETBOT_MODEL",
    "state_dir": "TICKETBOT_STATE_DIR",
    "log_dir": "TICKETBOT_LOG_DIR",
    "taxonomy_file": "TICKETBOT_TAXONOMY",
    "tag_prefix": "TICKETBOT_TAG_PREFIX",
    "workers": "TICKETBOT_WORKERS",
    "confidence_threshold": "TICKETBOT_CONFIDENCE_THRESHOLD",
    "llm_timeout": "TICKETBOT_LLM_TIMEOUT",
    "http_timeout": "TICKETBOT_HTTP_TIMEOUT",
    "max_input_tokens": "TICKETBOT_MAX_INPUT_TOKENS",
    "reply_draft": "TICKETBOT_REPLY_DRAFT",
    "keep_days": "TICKETBOT_KEEP_DAYS",
    "alert_webhook": "TICKETBOT_ALERT_WEBHOOK",
    "success_objective": "TICKETBOT_SUCCESS_OBJECTIVE",
    "prices": "TICKETBOT_PRICES",
    "scope": "TICKETBOT_SCOPE",
    "routes_file": "TICKETBOT_ROUTES",
    "learned_model": "TICKETBOT_LEARNED_MODEL",
    "kb_suggestions": "TICKETBOT_KB_SUGGESTIONS",
    "kb_max_age": "TICKETBOT_KB_MAX_AGE",
    "cache_entries": "TICKETBOT_CACHE_ENTRIES",
}

_HINTS: dict[str, str] = {
    "ZENDESK_URL": "e.g. http://127.0.0.1:8765 for the local sandbox",
    "ZENDESK_SUBDOMAIN": "the 'acme' in acme.zendesk.com",
    "TICKETBOT_MODEL": "a comma-separated list such as gpt-4o-mini,llama3.1",
    "TICKETBOT_KB_MAX_AGE": "seconds, or a number with s, m, h or d such as 24h",
}

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _parse_duration(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().lower()
        unit = _DURATION_UNITS.get(text[-1:]) if text else None
        number = text[:-1] if unit else text
        try:
            return float(number) * (unit or 1.0)
        except ValueError:
            raise ValueError("must be a duration such as 3600, 90m, 24h or 2d") from None
    return value


def _parse_workers(value: object) -> object:
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        number = int(text)
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 1 <= number <= 256:
        raise ValueError("must be auto or a number from 1 to 256")
    return number


class Settings(BaseModel):
    """Every knob ticketbot has, validated. Build it with ``load_settings``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    helpdesk: Literal["zendesk", "freshdesk"] = "zendesk"
    freshdesk_domain: str | None = None
    freshdesk_url: str | None = None
    freshdesk_api_key: SecretStr | None = None
    zendesk_url: str | None = None
    zendesk_subdomain: str | None = None
    zendesk_email: str | None = None
    zendesk_api_token: SecretStr | None = None
    zendesk_oauth_token: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    state_dir: Path = Path(".ticketbot")
    log_dir: Path = Path("logs")
    taxonomy_file: Path | None = None
    tag_prefix: Annotated[str, Field(pattern=r"^[a-z0-9_]{0,20}$")] = "ai_"
    # Concurrent tickets; "auto": as many LLM calls as the endpoint's latency and limits sustain.
    workers: Annotated[int | Literal["auto"], BeforeValidator(_parse_workers)] = "auto"
    confidence_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    llm_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    http_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    max_input_tokens: Annotated[int, Field(ge=100, le=100_000)] = 2000
    reply_draft: bool = False
    keep_days: Annotated[int, Field(ge=1, le=3650)] = 30
    alert_webhook: SecretStr | None = None
    # Share of tickets that must be triaged (not failed); below it health degrades and alerts.
    success_objective: Annotated[float, Field(ge=0.0, le=1.0)] = 0.95
    # Per-model USD per million tokens, "model=IN/OUT,..." over report.DEFAULT_PRICES.
    prices: str | None = None
    # Which tickets ticketbot may touch ("brand=1;channel=email,web"); see run/scope.py.
    scope: str | None = None
    # Routing and escalation rules (routes.toml); None: no routing, nothing changes.
    routes_file: Path | None = None
    # The learned engine's model file; unset: <state dir>/learned-model.zip, else the bundled one.
    learned_model: Path | None = None
    # Help-centre suggestions in the note (kb): how many (0: off), and how old the local
    # index may be before a run syncs it (seconds; the variable also takes 30m, 24h, 2d).
    kb_suggestions: Annotated[int, Field(ge=0, le=10)] = 3
    kb_max_age: Annotated[float, Field(gt=0, le=365 * 86400), BeforeValidator(_parse_duration)] = (
        86400.0
    )
    # Analyses the content-hash cache keeps across runs (LRU), held for the whole run: ~0.5 KB
    # each in memory (packed JSON), 5,000 ~3 MB. A backfill's batch is never larger.
    cache_entries: Annotated[int, Field(ge=1, le=1_000_000)] = DEFAULT_MAX_ENTRIES

    @field_validator("models", mode="before")
    @classmethod
    def _split_models(cls, value: object) -> object:
        if isinstance(value, str):
            names = tuple(part.strip() for part in value.split(",") if part.strip())
            if not names:
                raise ValueError("must name at least one model")
            return names
        return value

    @field_validator("helpdesk", mode="before")
    @classmethod
    def _lower_helpdesk(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("freshdesk_domain", mode="before")
    @classmethod
    def _check_freshdesk_domain(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().removeprefix("https://").rstrip("/")
            value = value.removesuffix(".freshdesk.com")
            if value and not value.replace("-", "").isalnum():
                raise ValueError("must be the domain only, such as 'acme' (acme.freshdesk.com)")
            return value or None
        return value

    @field_validator("zendesk_url", "openai_base_url", "freshdesk_url", mode="before")
    @classmethod
    def _check_url(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            if not value:
                return None
            if not value.startswith(("http://", "https://")):
                raise ValueError("must start with http:// or https://")
        return value

    @field_validator("zendesk_subdomain", mode="before")
    @classmethod
    def _check_subdomain(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().removesuffix(".zendesk.com")
            if value and not value.replace("-", "").isalnum():
                raise ValueError("must be the subdomain only, such as 'acme'")
            return value or None
        return value

    # -- resolved values -------------------------------------------------------------

    @property
    def zendesk_base_url(self) -> str:
        """``ZENDESK_URL`` if set (the sandbox), else ``https://{subdomain}.zendesk.com``."""
        if self.zendesk_url:
            return self.zendesk_url
        if self.zendesk_subdomain:
            return f"https://{self.zendesk_subdomain}.zendesk.com"
        raise ConfigError(
            "ZENDESK_SUBDOMAIN is not set: put it (or ZENDESK_URL) in .env or the environment"
        )

    @property
    def freshdesk_base_url(self) -> str:
        """``FRESHDESK_URL`` if set (the sandbox), else ``https://{domain}.freshdesk.com``."""
        if self.freshdesk_url:
            return self.freshdesk_url
        if self.freshdesk_domain:
            return f"https://{self.freshdesk_domain}.freshdesk.com"
        raise ConfigError(
            "FRESHDESK_DOMAIN is not set: put it (or FRESHDESK_URL) in .env or the environment "
            "(TICKETBOT_HELPDESK=freshdesk)"
        )

    @property
    def helpdesk_base_url(self) -> str:
        return self.freshdesk_base_url if self.helpdesk == "freshdesk" else self.zendesk_base_url

    def require_helpdesk(self) -> None:
        """Raise a ConfigError naming the first missing setting of the chosen helpdesk."""
        if self.helpdesk == "zendesk":
            self.require_zendesk()
            return
        _ = self.freshdesk_base_url
        if self.freshdesk_api_key is None:
            raise ConfigError(
                "FRESHDESK_API_KEY is not set: put it in .env or the environment "
                "(Freshdesk > Profile settings > Your API Key)"
            )

    def require_zendesk(self) -> None:
        """Raise a ConfigError naming the first missing Zendesk setting, if any."""
        _ = self.zendesk_base_url
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

    @property
    def llm_configured(self) -> bool:
        """True when an LLM endpoint is configured (an OpenAI key or a compatible base URL)."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values, for scrubbing anything that might echo them.

        The userinfo of a URL setting (``https://user:pass@host``) counts as a secret too.
        """
        values = (
            self.freshdesk_api_key,
            self.zendesk_api_token,
            self.zendesk_oauth_token,
            self.openai_api_key,
            self.alert_webhook,
        )
        found = tuple(v.get_secret_value() for v in values if v and v.get_secret_value())
        return found + url_credentials(self.zendesk_url) + url_credentials(self.openai_base_url)

    def scrubber(self) -> Scrubber:
        """The one scrubber for everything this configuration might leak (see ``ops.scrub``)."""
        return Scrubber(self.secrets, identities=(self.zendesk_email or "",))

    @property
    def warnings(self) -> tuple[str, ...]:
        """Configuration that works but deserves a word on stderr (printed once by the CLI)."""
        named = {
            ENV_VARS[name]: value.get_secret_value()
            for name in ("zendesk_api_token", "zendesk_oauth_token", "openai_api_key")
            if (value := getattr(self, name)) is not None
        }
        return tuple(short_secret_warnings(named))


def load_settings(
    environ: Mapping[str, str],
    *,
    env_file: Path | None = Path(".env"),
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge ``.env`` < environment < flags and validate once.

    ``overrides`` are flag values keyed by field name; ``None`` means "flag not given".
    """
    raw: dict[str, Any] = {}
    file_values: Mapping[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        check_env_file(env_file)
        file_values = dotenv_values(env_file)
    for field, var in ENV_VARS.items():
        for source in (file_values, environ):  # the environment wins over the file
            value = source.get(var)
            if value is not None and value != "":
                raw[field] = value
    for field, value in (overrides or {}).items():
        if value is not None:
            raw[field] = value
    try:
        return Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def check_env_file(path: Path) -> None:
    """Raise a ``ConfigError`` naming ``path`` and the lines python-dotenv cannot parse.

    python-dotenv only logs a warning without the file's name and drops the setting, so a
    typo in ``.env`` silently changes what runs. A name without ``=`` counts as malformed too
    (python-dotenv reads it as "no value", so it sets nothing; it is usually a value pasted on
    a line of its own). The message gives line numbers, never the line's text: a malformed
    line is often a pasted secret.
    """
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ConfigError(f"{path}: cannot read the settings file ({why or exc})") from None
    bad = []
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raw = binding.original.string
            # A binding's text starts with the blank lines before it; count past them.
            bad.append(binding.original.line + len(raw) - len(raw.lstrip("\r\n")))
    if bad:
        where = f"line {bad[0]}" if len(bad) == 1 else f"lines {', '.join(map(str, bad))}"
        raise ConfigError(
            f"{path}, {where}: not a NAME=value line; fix or remove it "
            "(quote a value that holds spaces or #, and close every quote)"
        )


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        var = ENV_VARS.get(field, field)
        hint = _HINTS.get(var)
        message = f"{var}: {plain_message(str(error['msg']))}"
        lines.append(f"{message} ({hint})" if hint else message)
    return "; ".join(lines)


def describe_settings(environ: Mapping[str, str], *, env_file: Path | None) -> list[dict[str, str]]:
    """Every setting's effective value (secrets masked) and where it came from: ``environment``,
    the ``.env`` file's name, or ``default``. Validates like ``load_settings``."""
    settings = load_settings(environ, env_file=env_file)
    file_values: Mapping[str, str | None] = {}
    if env_file is not None and env_file.is_file():
        file_values = dotenv_values(env_file)
    rows = []
    for name, var in ENV_VARS.items():
        if environ.get(var):
            source = "environment"
        elif file_values.get(var):
            source = str(env_file)
        else:
            source = "default"
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = (
                "****" + value.get_secret_value()[-2:]
                if len(value.get_secret_value()) >= 12
                else "****"
            )
        elif isinstance(value, tuple):
            shown = ",".join(str(v) for v in value)
        else:
            shown = "" if value is None else str(value)
        rows.append({"variable": var, "value": shown or "(not set)", "source": source})
    return rows
