"""What a step shows of its decision on the dashboard's ticket page: a section (a title, a line
saying what it is, rows of label, value and detail), kept as plain data in the decision's
stored event under ``SHOWN_KEY``.

The step makes its section from its own audit fields (``TicketStep.shown``) when the decision
is recorded, so the dashboard renders every step's section the same way without knowing the
step, nor importing it, nor building the run to find it: a new per-ticket feature shows on the
page with no line in the dashboard. The stored event is whatever version wrote it, and its
text is the team's and the customers' own: ``read_sections`` passes by what is not shaped as a
section and bounds what it keeps; the page escapes every value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The event's key holding the steps' sections, in the steps' order.
SHOWN_KEY = "shown"
# What the page keeps of a stored section: a hand-edited or hostile row stays readable.
MAX_ROWS = 20
MAX_CHARS = 500


@dataclass(frozen=True)
class ShownRow:
    """One line of a section: ``label`` (what the step found, by its title), ``value`` (its
    id, also the row's key on the page) and ``detail`` (said in a muted voice: its
    confidence)."""

    label: str
    value: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Shown:
    """A step's section on the ticket page. ``step``: the step's name, the section's anchor;
    ``note``: what the rows are, in a line; ``rows``: in the order the step ranks them;
    ``source``: the rows are something an agent answers from (a ready-made reply, a
    document), so ``report`` does not count the ticket among the articles to write; False for
    what only informs (tickets solved before: a kind solved again and again wants an article
    all the more)."""

    step: str
    title: str
    note: str = ""
    rows: tuple[ShownRow, ...] = field(default_factory=tuple)
    source: bool = True

    def stored(self) -> dict[str, Any]:
        """The section as the event keeps it (JSON)."""
        return {
            "step": self.step,
            "title": self.title,
            "note": self.note,
            "rows": [{"label": r.label, "value": r.value, "detail": r.detail} for r in self.rows],
            "source": self.source,
        }


def _text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)[:MAX_CHARS]


def _section(item: object) -> Shown | None:
    if not isinstance(item, Mapping):
        return None
    step, title = _text(item.get("step")), _text(item.get("title"))
    rows = item.get("rows")
    if not step or not title or not isinstance(rows, list):
        return None
    kept = []
    for row in rows[:MAX_ROWS]:
        label = _text(row.get("label")) if isinstance(row, Mapping) else None
        if label is None:
            continue
        value, detail = _text(row.get("value")), _text(row.get("detail"))
        kept.append(ShownRow(label, value or "", detail or ""))
    if not kept:
        return None
    source = item.get("source") is not False  # an event written before the flag: a source
    return Shown(step, title, _text(item.get("note")) or "", tuple(kept), source)


def read_sections(event: object) -> list[Shown]:
    """The sections a stored event holds, in the steps' order; none when it holds none or
    nothing shaped as one."""
    items = event.get(SHOWN_KEY) if isinstance(event, Mapping) else None
    found = (_section(item) for item in (items if isinstance(items, list) else ()))
    return [section for section in found if section is not None]
