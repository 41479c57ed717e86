"""Rows on their way into the store, shared by the SQLite writer and ``AuditStore``: times in
UTC, the account on each row, rows grouped by their columns, and batches of ``CHUNK``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

# Rows per INSERT statement: well under SQLite's limit of bound parameters per statement.
CHUNK = 200


def utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def with_account(rows: Iterable[Mapping[str, Any]], account: str) -> list[dict[str, Any]]:
    """Each row with the account (unless it names one) and its times in UTC."""
    out = []
    for row in rows:
        item = dict(row)
        item.setdefault("account", account)
        for key in ("at", "started_at", "finished_at"):
            if isinstance(item.get(key), datetime):
                item[key] = utc(item[key])
        out.append(item)
    return out


def by_shape(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(sorted(row)), []).append(row)
    return list(shapes.values())


_T = TypeVar("_T")


def chunks(items: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
