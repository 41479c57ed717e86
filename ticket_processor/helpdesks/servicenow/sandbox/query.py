"""ServiceNow's encoded queries (``sysparm_query``): parsing, matching a record, ordering.

``a=1^b=2`` is a conjunction; a term starting ``OR`` is or-ed with the term before it
(``a=1^ORa=2``: or binds tighter than and, as on an instance); ``^NQ`` starts a new query
whose rows are added to the others'; ``ORDERBYf`` / ``ORDERBYDESCf`` sort. Operators: ``=``,
``!=``, ``>``, ``>=``, ``<``, ``<=``, ``IN``, ``NOT IN``, ``STARTSWITH``, ``ENDSWITH``,
``LIKE``, ``NOT LIKE``, ``ISEMPTY``, ``ISNOTEMPTY`` (and ``ANYTHING``). Values compare as
strings (LIKE and STARTSWITH case-blind, as an instance's database collates), as numbers when
both sides are numbers; ``javascript:gs.dateGenerate('2026-11-29','10:00:00')`` is that moment.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

# Longest first, so ``NOT LIKE`` is not read as a field named ``...NOT`` and ``LIKE``.
OPERATORS = (
    "ISNOTEMPTY",
    "STARTSWITH",
    "ENDSWITH",
    "NOT LIKE",
    "ISEMPTY",
    "ANYTHING",
    "NOT IN",
    "LIKE",
    "IN",
    "!=",
    ">=",
    "<=",
    "=",
    ">",
    "<",
)
_UNARY = ("ISEMPTY", "ISNOTEMPTY", "ANYTHING")
_FIELD = re.compile(r"[a-z0-9_.]+")
_DATE_GENERATE = re.compile(r"javascript:gs\.dateGenerate\('([^']*)',\s*'([^']*)'\)")


class QueryError(ValueError):
    """An encoded query the sandbox cannot read (an instance answers 400 too)."""


@dataclass(frozen=True)
class Term:
    field: str
    operator: str
    value: str


@dataclass
class EncodedQuery:
    """``alternatives``: the ``^NQ`` parts, each a conjunction of or-groups of terms."""

    alternatives: list[list[list[Term]]] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    @property
    def fields(self) -> set[str]:
        return {t.field for part in self.alternatives for group in part for t in group}


def parse(text: str) -> EncodedQuery:
    """The query ``text`` means; ``QueryError`` naming a term it cannot read."""
    query = EncodedQuery()
    for part in text.split("^NQ") if text else []:
        groups: list[list[Term]] = []
        for raw in part.split("^"):
            item = raw.strip()
            if not item or item == "EQ":
                continue
            if item.startswith("ORDERBYDESC"):
                query.order.append((item.removeprefix("ORDERBYDESC"), True))
            elif item.startswith("ORDERBY"):
                query.order.append((item.removeprefix("ORDERBY"), False))
            elif item.startswith("OR") and groups:  # fields are lower case: never "OR..."
                groups[-1].append(_term(item[2:]))
            else:
                groups.append([_term(item)])
        if groups:
            query.alternatives.append(groups)
    return query


def _term(text: str) -> Term:
    name = _FIELD.match(text)
    if name is None:
        raise QueryError(f"Invalid query term: {text}")
    rest = text[name.end() :]
    for operator in OPERATORS:
        if rest.startswith(operator):
            value = rest[len(operator) :]
            if operator in _UNARY and value:
                break
            return Term(name.group(), operator, _literal(value))
    raise QueryError(f"Invalid query term: {text}")


def _literal(value: str) -> str:
    moment = _DATE_GENERATE.fullmatch(value)
    return f"{moment.group(1)} {moment.group(2)}" if moment else value


Lookup = Callable[[str], str | None]  # a record's value of a (dotted) field; None: no such field


def matches(query: EncodedQuery, lookup: Lookup) -> bool:
    """Whether the record ``lookup`` reads satisfies ``query`` (an empty query: every record).

    A term on a field the table does not have matches nothing, as an instance answers with
    ``glide.invalid_query.returns_no_rows`` set (a typo must not read every record)."""
    if not query.alternatives:
        return True
    return any(
        all(any(_holds(term, lookup(term.field)) for term in group) for group in part)
        for part in query.alternatives
    )


def _holds(term: Term, actual: str | None) -> bool:
    if actual is None:
        return False
    op, wanted = term.operator, term.value
    if op == "ANYTHING":
        return True
    if op in ("ISEMPTY", "ISNOTEMPTY"):
        return (actual == "") == (op == "ISEMPTY")
    if op in ("IN", "NOT IN"):
        return (actual in wanted.split(",")) == (op == "IN")
    low, lowed = actual.casefold(), wanted.casefold()
    if op == "LIKE":
        return lowed in low
    if op == "NOT LIKE":
        return lowed not in low
    if op == "STARTSWITH":
        return low.startswith(lowed)
    if op == "ENDSWITH":
        return low.endswith(lowed)
    if op == "=":
        return actual == wanted
    if op == "!=":
        return actual != wanted
    left, right = sort_key(actual), sort_key(wanted)
    if left[0] != right[0] or actual == "":
        return False  # a number against a word, or an empty value: no order between them
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }[op]


def sort_key(value: str) -> tuple[int, float, str]:
    """Numbers in number order, before words in string order."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)
