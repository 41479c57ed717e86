"""The audit store's columns of customers' text, encrypted at rest when a key is installed
(``common.sealed``): ``decisions.subject``, ``answer``, ``error`` and ``event``, and
``reverts.detail``. SQLAlchemy's type decorators seal a value on its way in and open it on its
way out, so every query reads plain text as before and the columns' types on disk are the same
(text, JSON); a value stored before encryption was turned on is read as it is. The labels the
dashboard filters on (category, urgency, decision, ...) are not customers' text and stay
plain; a search of the subjects cannot look into encrypted ones (the docs say so)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from .sealed_values import opened_json, opened_text, sealed_json, sealed_text


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
