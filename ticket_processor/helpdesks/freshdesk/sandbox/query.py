"""The query language of ``GET /api/v2/search/tickets``: parse once, then match tickets.

    "(priority:3 OR priority:4) AND tag:'billing' AND status:2 AND created_at:>'2026-01-01'"

The whole query comes wrapped in double quotes, at most 512 characters. Terms are
``field:value`` with integers, ``'strings'``, ``null``, ``true``/``false``; ``:>`` and ``:<``
compare (dates inclusive, by day); ``AND`` binds tighter than ``OR``; parentheses group.
Fields: status, priority, group_id, agent_id, requester_id, tag, type, created_at, updated_at,
due_by, fr_due_by and custom fields (``cf_*``). Anything else is Freshdesk's 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ....sandbox.httpbase import ApiError
from .config import invalid_value

MAX_QUERY = 512
_FIELDS = {
    "status": "status",
    "priority": "priority",
    "group_id": "group_id",
    "agent_id": "responder_id",
    "requester_id": "requester_id",
    "type": "type",
    "tag": "tags",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "due_by": "due_by",
    "fr_due_by": "fr_due_by",
}
_DATES = {"created_at", "updated_at", "due_by", "fr_due_by"}
_TOKEN = re.compile(r"\s*(\(|\)|\bAND\b|\bOR\b|[A-Za-z_][A-Za-z0-9_]*:[<>]?(?:'[^']*'|[^\s()]+))")
Matcher = Callable[[dict[str, Any]], bool]


def _bad(message: str) -> ApiError:
    return invalid_value("query", message)


def _value(raw: str) -> Any:
    if raw.startswith("'"):
        return raw[1:-1]
    if raw == "null":
        return None
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return int(raw)
    except ValueError:
        raise _bad(f"Value {raw!r} should be an integer, null or a quoted string") from None


def _term(token: str) -> Matcher:
    name, _, rest = token.partition(":")
    op = rest[0] if rest[:1] in ("<", ">") else ":"
    value = _value(rest[1:] if op != ":" else rest)
    if name.startswith("cf_"):
        return lambda t: t.get("custom_fields", {}).get(name) == value
    key = _FIELDS.get(name)
    if key is None:
        raise _bad(f"Invalid field '{name}' in query")
    if key in _DATES:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _bad(f"{name} should be a date like '2026-01-31'")
        if op == ">":
            return lambda t: str(t.get(key) or "")[:10] >= value
        if op == "<":
            return lambda t: str(t.get(key) or "")[:10] <= value
        return lambda t: str(t.get(key) or "")[:10] == value
    if op != ":":
        if not isinstance(value, int):
            raise _bad(f"{name} can only be compared with an integer")
        if op == ">":
            return lambda t: isinstance(t.get(key), int) and t[key] >= value
        return lambda t: isinstance(t.get(key), int) and t[key] <= value
    if key == "tags":
        return lambda t: value in t.get("tags", [])
    return lambda t: t.get(key) == value


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise _bad("The query ended too early")
        self.at += 1
        return token

    def either(self) -> Matcher:
        parts = [self.both()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else lambda t: any(p(t) for p in parts)

    def both(self) -> Matcher:
        parts = [self.atom()]
        while self.peek() == "AND":
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else lambda t: all(p(t) for p in parts)

    def atom(self) -> Matcher:
        word = self.take()
        if word == "(":
            inner = self.either()
            if self.take() != ")":
                raise _bad("Unbalanced parentheses in query")
            return inner
        if word in ("AND", "OR", ")"):
            raise _bad(f"Unexpected {word!r} in query")
        return _term(word)


def _tokens(text: str) -> list[str]:
    out, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None:
            raise _bad(f"Cannot read the query at {text[at : at + 20].strip()!r}")
        out.append(match.group(1))
        at = match.end()
    return out


def parse(query: str) -> Matcher:
    """The matcher for a raw ``query`` parameter (still in its double quotes)."""
    if len(query) > MAX_QUERY:
        raise _bad(f"It should be at most {MAX_QUERY} characters")
    text = query.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise _bad("Query should be enclosed in double quotes")
    parser = _Parser(_tokens(text[1:-1]))
    if parser.peek() is None:
        raise _bad("Query should not be empty")
    matcher = parser.either()
    if parser.peek() is not None:
        raise _bad(f"Unexpected {parser.peek()!r} in query")
    return matcher
