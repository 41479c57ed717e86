"""The audit store's columns of customers' text, encrypted at rest when a key is installed
(``common.sealed``): ``decisions.subject``, ``answer``, ``error`` and ``event``, and
``reverts.detail``. SQLAlchemy's type decorators seal a value on its way in and open it on its
way out, so every query reads plain text as before and the columns' types on disk are the same
(text, JSON); a value stored before encryption was turned on is read as it is. The labels the
dashboard filters on (category, urgency, decision, ...) are not customers' text and stay
plain; a search of the subjects cannot look into encrypted ones (the docs say so)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

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


class SealedText(TypeDecorator[str]):
    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return sealed_text(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return opened_text(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # A search's pattern is compared as written, never sealed itself.
        return sa.Text()


class SealedJSON(TypeDecorator[Any]):
    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return sealed_json(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        return opened_json(value)

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return sa.JSON()
