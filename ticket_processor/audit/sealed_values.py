"""How the audit store's columns of customers' text hold their values when a key is installed
(``common.sealed``): a text as ``tbseal1:...``, a JSON value wrapped as ``{"sealed": ...}``; a
value stored before encryption was turned on is read as it is. Shared by the schema's column
types (``sealed_columns``) and the run's writer, which binds values without SQLAlchemy."""

from __future__ import annotations

import json
from typing import Any

from ..common.sealed import PREFIX, installed, open_text, seal_text

_WHERE = "the audit store"
_SEALED_KEY = "sealed"


def sealed_json(value: Any) -> Any:
    """A JSON value as stored: wrapped sealed when a key is installed, else as it is."""
    if value is None or installed() is None:
        return value
    return {_SEALED_KEY: seal_text(json.dumps(value))}


def opened_json(value: Any) -> Any:
    """A stored JSON value as written: a sealed one opened, a plain one as it is."""
    if isinstance(value, dict) and set(value) == {_SEALED_KEY}:
        sealed = value[_SEALED_KEY]
        if isinstance(sealed, str) and sealed.startswith(PREFIX):
            return json.loads(open_text(sealed, _WHERE))
    return value


def sealed_text(value: str | None) -> str | None:
    return seal_text(value) if isinstance(value, str) else value


def opened_text(value: str | None) -> str | None:
    return open_text(value, _WHERE) if isinstance(value, str) else value
