"""The settings for the helpdesks ticketbot registers: ``load_settings``, the public API's.

``settings.read.read_settings`` composes whatever helpdesk kinds it is handed and imports none; here
the composition root hands it the registry (``helpdesks.registry.KINDS``), read at call time so
a kind registered later is read too. The commands and ``ticket_processor.load_settings`` read
the settings through this function.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..helpdesks.registry import KINDS
from ..settings import Settings
from ..settings.read import read_settings


def load_settings(
    environ: Mapping[str, str],
    *,
    env_file: Path | None = Path(".env"),
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge ``.env`` < environment < flags and validate once, for every registered helpdesk.

    ``overrides`` are flag values keyed by field name; ``None`` means "flag not given".
    """
    return read_settings(environ, kinds=KINDS, env_file=env_file, overrides=overrides)
