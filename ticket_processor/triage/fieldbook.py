"""Loading ``fields.toml`` and resolving it against the helpdesk: the I/O around ``fields``.

Once per run (and by ``ticketbot fields check``): read the file, parse it, read the helpdesk's
custom ticket fields (one request), match each entry. Any problem is a ``ConfigError`` that
names the file, the entry and what the helpdesk has.
"""

from __future__ import annotations

from pathlib import Path

from ..common.atomic import read_config_bytes
from ..errors import ConfigError, StateFileRefused
from ..models import Helpdesk
from .fields import FieldRule, ResolvedField, parse_fields, resolve_fields


def read_fields_file(
    path: Path, *, setting: str | None = "TICKETBOT_FIELDS"
) -> tuple[FieldRule, ...]:
    where = f"{setting} ({path})" if setting else str(path)
    try:
        text = read_config_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist; fix the path or unset it") from None
    except StateFileRefused as exc:
        raise ConfigError(f"{where}: {exc}; point it at a regular file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from None
    try:
        return parse_fields(text)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_fields(
    path: Path | None, helpdesk: Helpdesk, *, setting: str | None = "TICKETBOT_FIELDS"
) -> tuple[ResolvedField, ...]:
    """The resolved fields, or none when no fields file is configured (nothing is filled)."""
    if path is None:
        return ()
    rules = read_fields_file(path, setting=setting)
    if not rules:
        return ()
    try:
        return resolve_fields(rules, helpdesk.ticket_fields())
    except ConfigError as exc:
        where = f"{setting} ({path})" if setting else str(path)
        raise ConfigError(f"{where}: {exc}") from None
