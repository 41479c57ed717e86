"""The Search API's query language, for the ticket queries ticketbot and zenpy send.

Supported: ``type:ticket``, ``status``/``priority`` with ``: < > <= >=`` (by Zendesk's order),
``tags:x`` / ``tag:x``, ``requester:<user id>``, ``created``/``updated``/``solved`` against a
date, a date-time or a relative age (``4hours``, ``2days``), ``subject:``/``description:``,
free words and quoted phrases, and ``-`` in front of any term to negate it. Evaluation is a
scan over the tickets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .records import PRIORITY_RANK, STATUS_RANK, parse_iso

Ticket = dict[str, Any]
Predicate = Callable[[Ticket], bool]

_TOKEN = re.compile(r'-?[\w.]+(?:<=|>=|:|<|>)(?:"[^"]*"|\S+)|-?"[^"]*"|\S+')
_TERM = re.compile(r"^(-?)([\w.]+)(<=|>=|:|<|>)(.+)$")
_AGE = re.compile(r"^(\d+)(minute|hour|day|week|month|year)s?$")
_AGE_SECONDS = {
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ":": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
SORT_KEYS: dict[str, Callable[[Ticket], Any]] = {
    "updated_at": lambda t: (t["updated_at"], t["id"]),
    "created_at": lambda t: (t["created_at"], t["id"]),
    "priority": lambda t: (PRIORITY_RANK.get(t["priority"] or "", -1), t["id"]),
    "status": lambda t: (STATUS_RANK.get(t["status"], -1), t["id"]),
    "ticket_type": lambda t: (t["type"] or "", t["id"]),
}


def _ranked(field: str, ranks: dict[str, int], op: str, value: str) -> Predicate:
    wanted = ranks.get(value.lower())
    if wanted is None:
        if op == ":" and value.lower() == "none" and field == "priority":
            return lambda t: t[field] is None
        return lambda t: False
    compare = _OPS[op]
    return lambda t: t[field] is not None and compare(ranks.get(t[field], -1), wanted)


def _dated(field: str, op: str, value: str, now: float) -> Predicate:
    age = _AGE.match(value.lower())
    if age:
        # created>4hours means "less than four hours old"
        moment = now - int(age.group(1)) * _AGE_SECONDS[age.group(2)]
        day_only = False
    else:
        parsed = parse_iso(value)
        if parsed is None:
            return lambda t: False
        moment, day_only = parsed, "T" not in value
    compare = _OPS[op]

    def check(ticket: Ticket) -> bool:
        stamp = ticket.get(field)
        ts = parse_iso(stamp) if isinstance(stamp, str) else None
        if ts is None:
            return False
        if op == ":" and day_only:
            return moment <= ts < moment + 86400
        return compare(ts, moment)

    return check


def _text(words: str, fields: tuple[str, ...] = ("subject", "description")) -> Predicate:
    needle = words.strip('"').lower()
    return lambda t: any(needle in (t.get(f) or "").lower() for f in fields)


def _term(key: str, op: str, value: str, now: float) -> Predicate | None:
    """The predicate of one ``key<op>value`` term; None means "not a ticket search"."""
    key, raw = key.lower(), value.strip('"')
    if key == "type":
        return (lambda t: True) if raw.lower() == "ticket" else None
    if key == "status":
        return _ranked("status", STATUS_RANK, op, raw)
    if key == "priority":
        return _ranked("priority", PRIORITY_RANK, op, raw)
    if key in ("tags", "tag"):
        tag = raw.lower()
        return lambda t: tag in t["tags"]
    if key == "requester" and raw.isdigit():  # a user id (Zendesk also takes a name or e-mail)
        return lambda t: t.get("requester_id") == int(raw)
    if key in ("assignee", "group") and raw.isdigit():  # an id (Zendesk also takes a name)
        return lambda t: t.get(f"{key}_id") == int(raw)
    if key in ("created", "updated"):
        return _dated(f"{key}_at", op, raw, now)
    if key in ("subject", "description"):
        return _text(raw, (key,))
    return _text(f"{key}{op}{raw}")


def _negated(predicate: Predicate) -> Predicate:
    return lambda t: not predicate(t)


def compile_query(query: str, now: float) -> Predicate:
    """One predicate for the whole query (terms are ANDed, ``-`` negates a term)."""
    predicates: list[Predicate] = []
    for token in _TOKEN.findall(query):
        match = _TERM.match(token)
        negate = token.startswith("-")
        if match:
            predicate = _term(match.group(2), match.group(3), match.group(4), now)
            if predicate is None:
                return lambda t: False
        else:
            predicate = _text(token.lstrip("-") if negate else token)
        predicates.append(_negated(predicate) if negate else predicate)
    return lambda t: all(p(t) for p in predicates)


def run_search(
    tickets: list[Ticket], query: str, *, sort_by: str | None, sort_order: str | None, now: float
) -> list[Ticket]:
    """Matching tickets in the requested order (default: newest first by id)."""
    predicate = compile_query(query, now)
    found = [t for t in tickets if predicate(t)]
    key = SORT_KEYS.get(sort_by or "", lambda t: t["id"])
    found.sort(key=key, reverse=(sort_order or "desc").lower() != "asc")
    return found
