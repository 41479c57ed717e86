"""An event's values as the store's columns take them: a field of the wrong type (a log written
by another version, or by hand) is None or empty, never an error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def as_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def as_floats(value: object) -> dict[str, float]:
    return {str(k): float(v) for k, v in as_dict(value).items() if as_float(v) is not None}


def as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def as_dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
