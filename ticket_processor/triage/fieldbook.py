"""Loading ``fields.toml`` and resolving it against the helpdesk: the I/O around ``fields``.

Once per run (and by ``ticketbot fields check`` and ``health``): read the file, parse it, read
the helpdesk's custom ticket fields (one request), match each entry. A file that cannot be read
or parsed is a ``ConfigError`` naming the file and the entry. An entry the helpdesk no longer
matches is a ``ConfigError`` for ``fields check`` (``load_fields``); a run and ``health`` take
the ``ResolvedFields``, whose ``stale`` entries name each such field while the others still apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..common.atomic import read_config_bytes
from ..errors import ConfigError, StateFileRefused
from ..models import Helpdesk
from .fields import FieldRule, ResolvedField, StaleField, parse_fields, resolve_each


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


@dataclass(frozen=True)
class ResolvedFields:
    """The entries that resolve (``fields``) and those the helpdesk no longer matches."""

    fields: tuple[ResolvedField, ...] = ()
    stale: tuple[StaleField, ...] = ()

    def messages(self, where: str) -> list[str]:
        """One line per stale entry, naming the file (``where``) and that the field is left."""
        return [f"{where}: {s.message}; this field is left alone until fixed" for s in self.stale]


def load_field_book(
    path: Path | None, helpdesk: Helpdesk, *, setting: str | None = "TICKETBOT_FIELDS"
) -> ResolvedFields:
    """The fields file against the helpdesk now; an empty book when none is configured."""
    if path is None:
        return ResolvedFields()
    rules = read_fields_file(path, setting=setting)
    if not rules:
        return ResolvedFields()
    resolved, stale = resolve_each(rules, helpdesk.ticket_fields())
    return ResolvedFields(resolved, stale)


def load_fields(
    path: Path | None, helpdesk: Helpdesk, *, setting: str | None = "TICKETBOT_FIELDS"
) -> tuple[ResolvedField, ...]:
    """The resolved fields, or none when no fields file is configured (nothing is filled);
    ``ConfigError`` for the first entry the helpdesk does not match (``fields check``)."""
    book = load_field_book(path, helpdesk, setting=setting)
    if book.stale:
        where = f"{setting} ({path})" if setting else str(path)
        raise ConfigError(f"{where}: {book.stale[0].message}")
    return book.fields
