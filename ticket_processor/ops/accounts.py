"""Many helpdesk accounts, one ticketbot each: the ``accounts.toml`` profiles and what they mean.

An MSP, or a company with several Zendesk / Freshdesk instances, runs one ticketbot per
account. Each ``[account.NAME]`` table is a profile: the helpdesk, where its credentials come
from, its taxonomy and routes, its state and log directories, how often it runs::

    [account.acme]
    helpdesk = "zendesk"                      # zendesk | freshdesk
    zendesk_subdomain = "acme"
    zendesk_email = "ops@acme.com"
    secret = "ticketbot-acme"                 # Kubernetes Secret with the credentials (envFrom)
    credentials = { ZENDESK_API_TOKEN = "ACME_ZENDESK_TOKEN" }  # or: variable <- env var name
    taxonomy = "taxonomies/acme.toml"
    routes = "routes/acme.toml"
    state_dir = "/srv/ticketbot/acme/state"
    log_dir = "/srv/ticketbot/acme/logs"
    interval_minutes = 10
    settings = { TICKETBOT_MODEL = "gpt-4o-mini" }

Secrets never live in this file: a credential is the *name* of an environment variable that
holds it (``credentials``), or comes from the account's Kubernetes Secret. A literal token is
refused. Pure except ``load_accounts``, which reads the file; every error names the account
and the key. ``profile_env`` is the environment overlay a profile means; the settings loader
applies it when ``TICKETBOT_ACCOUNT`` / ``--account`` selects a profile.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..helpdesks.registry import DEFAULT_KIND, KINDS

HELPDESKS = tuple(KINDS)
# Variables that hold secrets: only ever by reference (credentials) or from a Secret.
SECRET_VARIABLES = frozenset(
    {
        *(var for kind in KINDS.values() for var in kind.settings.secret_variables()),
        "OPENAI_API_KEY",
        "TICKETBOT_ALERT_WEBHOOK",
        "TICKETBOT_PAGERDUTY_ROUTING_KEY",
        "TICKETBOT_SMTP_URL",
        "TICKETBOT_TEAMS_WEBHOOK",
        "TICKETBOT_ALERT_JSON_URL",
        "TICKETBOT_ALERT_JSON_SECRET",
    }
)
# Intervals that divide the hour, so ``*/N`` in cron means "every N minutes" all day long.
INTERVALS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")  # DNS label, short enough for k8s
_VARIABLE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_PLAIN_KEYS: dict[str, str] = {  # account key -> the variable it sets
    # Each helpdesk's settings that are no secret, by their field names (``zendesk_url``).
    **{key: var for kind in KINDS.values() for key, var in kind.settings.plain_variables().items()},
    "taxonomy": "TICKETBOT_TAXONOMY",
    "routes": "TICKETBOT_ROUTES",
    "state_dir": "TICKETBOT_STATE_DIR",
    "log_dir": "TICKETBOT_LOG_DIR",
}
_WHERE_CREDENTIALS_GO = (
    "name the environment variable that holds it under credentials "
    '(credentials = { ZENDESK_API_TOKEN = "ACME_ZENDESK_TOKEN" }) or put it in the '
    "account's Kubernetes Secret"
)
_OTHER_KEYS = {"helpdesk", "secret", "credentials", "interval_minutes", "max_runtime", "settings"}


@dataclass(frozen=True)
class Account:
    """One profile from ``accounts.toml``, validated."""

    name: str
    helpdesk: str = DEFAULT_KIND
    secret: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)  # variable -> env var holding it
    values: dict[str, str] = field(default_factory=dict)  # plain settings: variable -> value
    interval_minutes: int = 10
    max_runtime: int | None = None

    @property
    def secret_name(self) -> str:
        """The Kubernetes Secret with this account's credentials."""
        return self.secret or f"ticketbot-{self.name}"

    @property
    def run_seconds(self) -> int:
        """``--max-runtime``: as given, else 90 % of the interval (540 s of 10 minutes)."""
        return self.max_runtime or self.interval_minutes * 60 * 9 // 10

    @property
    def taxonomy(self) -> str | None:
        return self.values.get("TICKETBOT_TAXONOMY")

    @property
    def routes(self) -> str | None:
        return self.values.get("TICKETBOT_ROUTES")


def _fail(name: str, key: str, problem: str) -> ConfigError:
    return ConfigError(f"accounts: [account.{name}] {key}: {problem}")


def _text(name: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, key, "must be a non-empty string")
    return value


def _variables(name: str, key: str, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(name, key, 'must be a table such as { TICKETBOT_MODEL = "gpt-4o-mini" }')
    result = {}
    for variable, item in value.items():
        if not _VARIABLE.match(variable):
            raise _fail(name, f"{key}.{variable}", "is not an environment variable name")
        if isinstance(item, bool | int | float):
            item = str(item).lower() if isinstance(item, bool) else str(item)
        result[variable] = _text(name, f"{key}.{variable}", item)
    return result


def parse_account(name: str, table: object) -> Account:
    """Validate one ``[account.NAME]`` table."""
    if not _NAME.match(name):
        raise ConfigError(
            f"accounts: [account.{name}]: names are lowercase letters, digits and '-', "
            "at most 40 characters (they become Kubernetes object names)"
        )
    if not isinstance(table, dict):
        raise ConfigError(f"accounts: [account.{name}] must be a table")
    for key in table:
        if key not in _PLAIN_KEYS and key not in _OTHER_KEYS:
            if key.upper() in SECRET_VARIABLES or key.endswith(("token", "api_key", "password")):
                raise _fail(
                    name, key, "secrets do not go in accounts.toml; " + _WHERE_CREDENTIALS_GO
                )
            known = ", ".join(sorted([*_PLAIN_KEYS, *_OTHER_KEYS]))
            raise _fail(name, key, f"unknown key (known: {known})")
    helpdesk = table.get("helpdesk", DEFAULT_KIND)
    if helpdesk not in HELPDESKS:
        raise _fail(name, "helpdesk", f"{helpdesk!r} is not one of {', '.join(HELPDESKS)}")
    values = {_PLAIN_KEYS[k]: _text(name, k, v) for k, v in table.items() if k in _PLAIN_KEYS}
    extra = _variables(name, "settings", table.get("settings", {}))
    for variable in extra:
        if variable in SECRET_VARIABLES:
            raise _fail(name, f"settings.{variable}", "is a secret; " + _WHERE_CREDENTIALS_GO)
    credentials = _variables(name, "credentials", table.get("credentials", {}))
    for variable, source in credentials.items():
        if not _VARIABLE.match(source):
            raise _fail(
                name,
                f"credentials.{variable}",
                "must name the environment variable that holds the secret (like "
                "ACME_ZENDESK_TOKEN), not the secret itself",
            )
    interval = table.get("interval_minutes", 10)
    if isinstance(interval, bool) or interval not in INTERVALS:
        raise _fail(name, "interval_minutes", f"must be one of {', '.join(map(str, INTERVALS))}")
    max_runtime = table.get("max_runtime")
    if max_runtime is not None and (
        isinstance(max_runtime, bool)
        or not isinstance(max_runtime, int)
        or not 0 < max_runtime < interval * 60
    ):
        raise _fail(
            name,
            "max_runtime",
            f"must be whole seconds above 0 and below the {interval * 60} s "
            "interval, or runs would overlap",
        )
    secret = table.get("secret")
    if secret is not None and not _NAME.match(_text(name, "secret", secret)):
        raise _fail(name, "secret", "is a Kubernetes Secret name: lowercase letters, digits, '-'")
    return Account(
        name=name,
        helpdesk=helpdesk,
        secret=secret,
        credentials=credentials,
        values={**extra, **values},
        interval_minutes=interval,
        max_runtime=max_runtime,
    )


def parse_accounts(text: str, *, source: str = "accounts.toml") -> dict[str, Account]:
    """Every ``[account.NAME]`` in ``text``, in file order."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"accounts: {source} is not valid TOML: {exc}") from None
    unknown = set(data) - {"account"}
    if unknown:
        raise ConfigError(
            f"accounts: {source}: unknown table(s) {', '.join(sorted(unknown))}; "
            "each account is an [account.NAME] table"
        )
    tables = data.get("account", {})
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(f"accounts: {source} defines no [account.NAME] table")
    return {name: parse_account(name, table) for name, table in tables.items()}


def load_accounts(path: Path) -> dict[str, Account]:
    """Read and validate ``accounts.toml``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"accounts: cannot read {path} ({exc.strerror or exc})") from None
    return parse_accounts(text, source=str(path))


def select_account(accounts: Mapping[str, Account], name: str) -> Account:
    """The profile ``--account NAME`` / ``TICKETBOT_ACCOUNT=NAME`` asks for."""
    if name not in accounts:
        known = ", ".join(accounts) or "none"
        raise ConfigError(f"--account: no account {name!r} in accounts.toml (known: {known})")
    return accounts[name]


def profile_env(account: Account, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a profile means, to lay over the process environment.

    Plain settings are copied; each credential is read from the variable it names in
    ``environ`` (a missing one is an error naming the account and both variables). Credentials
    not listed are expected in the environment already (a Kubernetes Secret's ``envFrom``).
    """
    overlay = {"TICKETBOT_ACCOUNT": account.name, "TICKETBOT_HELPDESK": account.helpdesk}
    overlay.update(account.values)
    for variable, source in account.credentials.items():
        value = (environ or {}).get(source)
        if not value:
            raise _fail(
                account.name,
                f"credentials.{variable}",
                f"{source} is not set: export it (it holds {variable} for this account)",
            )
        overlay[variable] = value
    return overlay


def account_environ(environ: Mapping[str, str], path: Path, name: str) -> dict[str, str]:
    """``environ`` with the profile ``name`` of the accounts file at ``path`` laid over it.

    For the settings loader: call it when ``TICKETBOT_ACCOUNT`` (or ``--account``) is set and
    load the settings from the result. The profile wins over the environment and ``.env``
    (it was chosen explicitly); flags still win over the profile.
    """
    account = select_account(load_accounts(path), name)
    return {**environ, **profile_env(account, environ)}
