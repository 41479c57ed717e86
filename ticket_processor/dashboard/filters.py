"""The ticket list's filters, sorting and page, read from a URL's query and written back to one.

A filtered view is a link a lead can share (``/tickets?category=billing&decision=suggested``):
``ListQuery.parse`` reads every parameter the list knows, refuses a value it cannot use with a
message naming the parameter (the page shows it, the list stays unfiltered by it), and
``ListQuery.link`` writes the same view back with one parameter changed (the next page, another
sort). Pure, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from urllib.parse import urlencode

Decision = Literal["applied", "suggested", "abstained"]
DECISIONS: tuple[Decision, ...] = ("applied", "suggested", "abstained")
# What the list may be sorted by, as the URL names it (``sort=``), and the column it sorts; the
# direction is ``order=asc|desc`` (the default: newest, highest or most recent first for times,
# ids and confidence, A to Z for names). A whitelist: nothing else from the URL reaches ORDER BY.
# Each column has an index that ends in the time (``ix_decisions_*``), so an unfiltered sorted
# page is an index walk; ties are broken by the time, then the row id, in the same direction.
# ``newest`` / ``oldest``, the list's first two sorts, still work (time, desc / asc).
SORTS: dict[str, str] = {
    "time": "at",
    "ticket": "ticket_id",
    "category": "category",
    "urgency": "urgency",
    "sentiment": "sentiment",
    "risk": "risk",
    "language": "language",
    "engine": "engine",
    "confidence": "confidence",
    "decision": "decision",
    "breach": "breach_at",  # the SLA pass's clocks (``sla_clocks``), not a decision's column
}
ORDERS = ("asc", "desc")
# Text columns A to Z; time, ids, confidence, urgency and risk (by severity) the highest first.
DEFAULT_ORDER: dict[str, str] = {
    name: "desc" if name in ("time", "ticket", "confidence", "urgency", "risk") else "asc"
    for name in SORTS
}
_OLD_SORTS = {"newest": ("time", "desc"), "oldest": ("time", "asc")}
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
# The text filters: (parameter, longest value) — names the helpdesk and taxonomy give.
TEXT_FILTERS = ("category", "urgency", "sentiment", "risk", "language", "engine", "run")
_MAX_TEXT = 200
_MAX_PAGE = 100_000
# The dates a filter may name: a ticket is never older than the epoch, and the end of
# ``until``'s day must still be a date (``date.max`` plus a day overflows).
EARLIEST = date(1970, 1, 1)
LATEST = date(9998, 12, 31)
# The largest ticket id a search treats as an id (a signed 64-bit column): a longer string of
# digits is searched as words of the subject.
MAX_TICKET_ID = 2**63 - 1


@dataclass(frozen=True)
class ListQuery:
    """One view of the ticket list: every filter None (or empty) means "any"."""

    q: str = ""  # search: a ticket id, or words of the subject
    category: str | None = None
    urgency: str | None = None
    sentiment: str | None = None
    risk: str | None = None  # the risk's level: low, medium, high
    language: str | None = None
    engine: str | None = None
    run: str | None = None
    decision: Decision | None = None
    answered: bool | None = None
    corrected: bool | None = None
    min_confidence: float | None = None
    max_confidence: float | None = None
    since: date | None = None
    until: date | None = None
    sort: str = "time"
    order: str = "desc"
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE
    errors: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ListQuery:
        """The view a URL's query names; a value that cannot be used is left out and said."""
        errors: list[str] = []
        values: dict[str, object] = {}
        q = (params.get("q") or "").strip()[:_MAX_TEXT]
        if q:
            values["q"] = q
        for name in TEXT_FILTERS:
            text = (params.get(name) or "").strip()
            if text:
                values[name] = text[:_MAX_TEXT]
        decision = (params.get("decision") or "").strip().lower()
        if decision:
            if decision in DECISIONS:
                values["decision"] = decision
            else:
                errors.append(f"decision: {decision!r} is not one of {', '.join(DECISIONS)}")
        for name in ("answered", "corrected"):
            flag = (params.get(name) or "").strip().lower()
            if flag in ("yes", "true", "1"):
                values[name] = True
            elif flag in ("no", "false", "0"):
                values[name] = False
            elif flag:
                errors.append(f"{name}: {flag!r} is not yes or no")
        for name in ("min_confidence", "max_confidence"):
            number = (params.get(name) or "").strip()
            if not number:
                continue
            try:
                value = float(number)
            except ValueError:
                errors.append(f"{name}: {number!r} is not a number between 0 and 1")
                continue
            if not 0.0 <= value <= 1.0:
                errors.append(f"{name}: {number!r} is not a number between 0 and 1")
                continue
            values[name] = value
        for name in ("since", "until"):
            text = (params.get(name) or "").strip()
            if not text:
                continue
            try:
                day = date.fromisoformat(text)
            except ValueError:
                errors.append(f"{name}: {text!r} is not a date such as 2026-11-24")
                continue
            if not EARLIEST <= day <= LATEST:
                errors.append(f"{name}: {text!r} is not between {EARLIEST} and {LATEST}")
                continue
            values[name] = day
        sort = (params.get("sort") or "time").strip()
        if sort in _OLD_SORTS:
            sort, order = _OLD_SORTS[sort]
        elif sort in SORTS:
            order = DEFAULT_ORDER[sort]
        else:
            errors.append(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
            sort, order = "time", "desc"
        given = (params.get("order") or "").strip().lower()
        if given in ORDERS:
            order = given
        elif given:
            errors.append(f"order: {given!r} is not asc or desc")
        values["sort"], values["order"] = sort, order
        values["page"] = _whole(params.get("page"), 1, _MAX_PAGE, "page", errors) or 1
        size = _whole(params.get("per_page"), 1, max(PAGE_SIZES), "per_page", errors)
        if size is not None and size not in PAGE_SIZES:
            # The page offers three sizes; another is named, not silently replaced.
            shown = ", ".join(str(each) for each in PAGE_SIZES)
            errors.append(f"per_page: {size} is not one of {shown}")
        values["per_page"] = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return cls(**values, errors=tuple(errors))  # type: ignore[arg-type]

    def params(self) -> dict[str, str]:
        """The view as URL parameters, only those that differ from the default."""
        out: dict[str, str] = {}
        if self.q:
            out["q"] = self.q
        for name in TEXT_FILTERS:
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.decision:
            out["decision"] = self.decision
        for name in ("answered", "corrected"):
            value = getattr(self, name)
            if value is not None:
                out[name] = "yes" if value else "no"
        for name in ("min_confidence", "max_confidence"):
            value = getattr(self, name)
            if value is not None:
                out[name] = f"{value:g}"
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.sort == "time":
            if self.order == "asc":
                out["sort"] = "oldest"
        else:
            out["sort"] = self.sort
            if self.order != DEFAULT_ORDER[self.sort]:
                out["order"] = self.order
        if self.page != 1:
            out["page"] = str(self.page)
        if self.per_page != DEFAULT_PAGE_SIZE:
            out["per_page"] = str(self.per_page)
        return out

    def link(self, **changes: object) -> str:
        """``/tickets?…`` for this view with ``changes`` (a filter change goes to page 1)."""
        if "page" not in changes:
            changes["page"] = 1
        view = replace(self, **changes)  # type: ignore[arg-type]
        query = urlencode(view.params())
        return "/tickets" + (f"?{query}" if query else "")

    def sort_link(self, name: str) -> str:
        """The view sorted by ``name``: the other direction when it is sorted so already."""
        if name == self.sort:
            return self.link(order="asc" if self.order == "desc" else "desc")
        return self.link(sort=name, order=DEFAULT_ORDER[name])

    @property
    def ticket_id(self) -> int | None:
        """The ticket the search names (``123`` or ``#123``), or None: search the subjects."""
        digits = self.q.lstrip("#")
        if digits.isascii() and digits.isdigit() and int(digits) <= MAX_TICKET_ID:
            return int(digits)
        return None

    @property
    def filtered(self) -> bool:
        defaults = ListQuery()
        keep = ("sort", "order", "page", "per_page")
        return any(
            getattr(self, name) != getattr(defaults, name)
            for name in self.__dataclass_fields__
            if name not in keep and name != "errors"
        )

    def window(self) -> tuple[datetime | None, datetime | None]:
        """The date range as UTC instants: from the start of ``since`` to the end of ``until``."""
        start = datetime.combine(self.since, time(), tzinfo=UTC) if self.since else None
        end = (
            datetime.combine(self.until + timedelta(days=1), time(), tzinfo=UTC)
            if self.until
            else None
        )
        return start, end


def _whole(text: str | None, low: int, high: int, name: str, errors: list[str]) -> int | None:
    if not text or not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        errors.append(f"{name}: {text.strip()!r} is not a whole number")
        return None
    if not low <= value <= high:
        errors.append(f"{name}: {value} is not between {low} and {high}")
        return None
    return value
