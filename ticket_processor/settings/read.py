"""Reading the settings: ``.env`` < environment < flags, merged and validated once, every problem
named by its variable; the ``.env`` read by python-dotenv without expanding ``${VAR}``."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from dotenv.parser import parse_stream
from pydantic import ValidationError

from ..common.env_names import refuse_public_fallback, unknown_name_warnings
from ..common.helpdesk_settings import HelpdeskSettings
from ..common.setting import error_text
from ..errors import ConfigError
from . import ENV_VARS, HINTS, Settings
from .variables import HelpdeskKindSettings, known_variables


def read_settings(
    environ: Mapping[str, str],
    *,
    kinds: Mapping[str, HelpdeskKindSettings],
    env_file: Path | None = Path(".env"),
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge ``.env`` < environment < flags and validate once, for the helpdesk ``kinds``
    (by name, the default first).

    ``overrides`` are flag values keyed by field name; ``None`` means "flag not given".
    """
    file_values: Mapping[str, str | None] = {}
    if env_file is not None and is_settings_file(env_file):
        check_env_file(env_file)
        file_values = read_env_file(env_file)
    known = known_variables(ENV_VARS, kinds)
    refuse_public_fallback(environ, file_values, env_file=env_file, known=known)
    name_warnings = unknown_name_warnings(environ, file_values, env_file=env_file, known=known)
    flags = {field: value for field, value in (overrides or {}).items() if value is not None}

    def gather(env_vars: Mapping[str, str]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for field, var in env_vars.items():
            for source in (file_values, environ):  # the environment wins over the file
                value = source.get(var)
                if value is not None and value != "":
                    raw[field] = value
            if field in flags:
                raw[field] = flags[field]
        return raw

    problems: list[str] = []
    desks: dict[str, HelpdeskSettings] = {}
    failed: set[str] = set()
    for name, kind in kinds.items():
        try:
            desks[name] = kind.settings(**gather(kind.settings.ENV_VARS))
        except ValidationError as exc:
            problems.extend(kind.settings.describe(exc))
            failed.add(name)
    core = {"helpdesk": next(iter(kinds)), **gather(ENV_VARS)}
    try:
        settings = Settings(**core, desks=desks, name_warnings=name_warnings)
    except ValidationError as exc:
        described = _describe(exc)
        chosen = str(core["helpdesk"]).strip().lower()
        if chosen in failed:
            # The chosen helpdesk is a kind ticketbot knows; its own settings failed (a
            # ZENDESK_URL without a scheme): those lines say what to fix, not TICKETBOT_HELPDESK.
            described = [d for d in described if not d.startswith(f"{ENV_VARS['helpdesk']}:")]
        problems[:0] = described
    if problems:
        raise ConfigError("; ".join(problems))
    return settings


def is_settings_file(path: Path) -> bool:
    """Whether ``path`` is a settings file to read: anything that is there and is not a folder.

    Not ``Path.is_file``: ``/dev/null``, the usual way to say "no settings from a file, not even
    ``./.env``", is a device, not a regular file, and reads as an empty file.
    """
    return path.exists() and not path.is_dir()


def read_env_file(path: Path) -> dict[str, str | None]:
    """The ``.env``'s values as python-dotenv reads them, ``${VAR}`` not expanded (quotes around a
    value removed and a `` #`` comment after an unquoted one dropped, unlike Docker's
    ``--env-file``, which keeps both)."""
    return dict(dotenv_values(path, interpolate=False))


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


def _describe(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        var = ENV_VARS.get(field, field)
        hint = HINTS.get(var)
        message = f"{var}: {error_text(Settings, error)}"
        lines.append(f"{message} ({hint})" if hint else message)
    return lines
