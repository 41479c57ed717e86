"""What ``ticketbot config`` shows: every setting's effective value, secrets masked, where it came
from, and its one line of help from the settings' declaration; then the account profile's two
(``TICKETBOT_ACCOUNTS``, ``TICKETBOT_ACCOUNT``), which are read from the environment (or
``--account``) before the settings, never from ``.env``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, SecretStr

from ..common.scrub import display_url
from ..common.setting import declared
from . import ENV_VARS, Settings
from .read import is_settings_file, read_env_file
from .variables import OTHER_VARS


def describe_settings(
    environ: Mapping[str, str],
    *,
    env_file: Path | None,
    settings: Settings,
    account_flag: str | None = None,
) -> list[dict[str, str]]:
    """Every setting's effective value (secrets masked), where it came from (``environment``,
    the ``.env`` file's name, or ``default``) and its help; ``settings`` are those
    ``read_settings`` read from the same sources."""
    file_values: Mapping[str, str | None] = {}
    if env_file is not None and is_settings_file(env_file):
        file_values = read_env_file(env_file)
    rows = []
    scrubber = settings.scrubber()
    models = [type(settings), *(type(desk) for desk in settings.desks.values())]
    helps = {row.variable: row.help for model in models for row in declared(model)}
    for owner, name, var in _every_variable(settings):
        if environ.get(var):
            source = "environment"
        elif file_values.get(var):
            source = str(env_file)
        else:
            source = "default"
        value = getattr(owner, name)
        if isinstance(value, SecretStr):
            shown = (
                "****" + value.get_secret_value()[-2:]
                if len(value.get_secret_value()) >= 12
                else "****"
            )
        elif isinstance(value, bool):
            shown = str(value).lower()  # as .env and the docs write it (Python's True is not)
        elif isinstance(value, tuple):
            shown = ",".join(str(v) for v in value)
        else:
            shown = "" if value is None else str(value)
            # A URL setting may carry credentials: user:password@, ?api-key=...
            shown = scrubber.text(display_url(shown) if "://" in shown else shown)
        rows.append(
            {
                "variable": var,
                "value": shown or "(not set)",
                "source": source,
                "help": helps.get(var, ""),
            }
        )
    return rows + _profile_rows(environ, file_values, env_file, account_flag)


def _profile_rows(
    environ: Mapping[str, str],
    file_values: Mapping[str, str | None],
    env_file: Path | None,
    account_flag: str | None,
) -> list[dict[str, str]]:
    """The account profile's variables: the environment's (``--account`` for the account), and
    a value only ``.env`` holds said to be unread, since the profile is chosen before it."""
    rows = []
    for var, help_text in OTHER_VARS.items():
        value, source = environ.get(var), "environment"
        if var == "TICKETBOT_ACCOUNT" and account_flag:
            value, source = account_flag, "--account"
        if not value:
            value, source = None, "default"
            if file_values.get(var):
                source = f"in {env_file} but not read there: set it in the environment"
        rows.append(
            {"variable": var, "value": value or "(not set)", "source": source, "help": help_text}
        )
    return rows


def _every_variable(settings: Settings) -> list[tuple[BaseModel, str, str]]:
    """(the model holding it, field, variable) for every setting: the helpdesk choice, each
    kind's variables in registry order, then the rest."""
    core: list[tuple[BaseModel, str, str]] = [
        (settings, name, var) for name, var in ENV_VARS.items()
    ]
    desks: list[tuple[BaseModel, str, str]] = [
        (desk, name, var)
        for desk in settings.desks.values()
        for name, var in type(desk).ENV_VARS.items()
    ]
    return core[:1] + desks + core[1:]
