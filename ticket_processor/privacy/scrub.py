"""Finding and removing one person's traces in the state directory's JSON and JSON-lines files.

A file's entries are the person's when they name one of their tickets: a key that is the
ticket's id (``answers.json``'s books, ``replies.json``, ``retry.json``) or starts with it and a
colon (``sla.json``'s targets, ``assignment/replies.json``'s markers), an object whose
``ticket_id`` or ``ticket`` is it (journals, sightings), a ticket id in a list of tickets or
members (``incidents/book.json``). Those entries go whole. Any other string that holds one of
the person's addresses has the address replaced (``[forgotten]``): a file keeps its shape, so
its feature reads it as before.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

REPLACEMENT = "[forgotten]"
_TICKET_KEYS = ("ticket_id", "ticket")
_LINE_KEYS = (*_TICKET_KEYS, "id")  # a JSON-lines record is one ticket's: its ``id`` too
_LIST_KEYS = ("ticket", "member", "flagged", "repeat")


@dataclass
class Found:
    """What one file holds of a person: entries that are theirs and strings naming them."""

    entries: int = 0
    mentions: int = 0
    fields: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.entries or self.mentions)


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _key_id(name: str) -> int | None:
    """The ticket a JSON object's key names: ``42``, or ``42:...`` (a ticket's target, note)."""
    return _as_id(name.split(":", 1)[0])


def owned(record: object, ids: Collection[int], keys: Sequence[str] = _TICKET_KEYS) -> bool:
    """Whether ``record`` (a JSON object) is one of the tickets ``ids``."""
    if not isinstance(record, dict):
        return False
    return any(_as_id(record.get(key)) in ids for key in keys if key in record)


def _mentions(text: str, needles: Sequence[str]) -> bool:
    folded = text.lower()
    return any(needle in folded for needle in needles)


def _replaced(text: str, needles: Sequence[str]) -> str:
    out = text
    for needle in needles:
        at = out.lower().find(needle)
        while at >= 0:
            out = out[:at] + REPLACEMENT + out[at + len(needle) :]
            at = out.lower().find(needle, at + len(REPLACEMENT))
    return out


def scrub(
    value: Any, ids: Collection[int], needles: Sequence[str], found: Found, key: str = ""
) -> Any:
    """``value`` without the person's entries and with their addresses replaced; ``found``
    counts what went. ``needles`` are lower case."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for name, item in value.items():
            if _key_id(name) in ids or owned(item, ids):
                found.entries += 1
                found.fields.add(key or name)
                continue
            kept[name] = scrub(item, ids, needles, found, name)
        return kept
    if isinstance(value, list):
        ticket_list = any(word in key for word in _LIST_KEYS)
        out: list[Any] = []
        for item in value:
            if owned(item, ids) or (ticket_list and _as_id(item) in ids):
                found.entries += 1
                found.fields.add(key)
                continue
            out.append(scrub(item, ids, needles, found, key))
        return out
    if isinstance(value, str) and needles and _mentions(value, needles):
        found.mentions += 1
        found.fields.add(key)
        return _replaced(value, needles)
    return value


def line_is_theirs(record: object, ids: Collection[int], needles: Sequence[str]) -> bool:
    """A JSON-lines record that is one of the person's tickets, or names them anywhere."""
    if owned(record, ids, _LINE_KEYS):
        return True
    if isinstance(record, dict):
        return any(line_is_theirs(v, ids, needles) for v in record.values())
    if isinstance(record, list):
        return any(line_is_theirs(v, ids, needles) for v in record)
    return isinstance(record, str) and bool(needles) and _mentions(record, needles)
