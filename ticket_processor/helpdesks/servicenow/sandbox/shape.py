"""How the Table API shows a record: ``sysparm_fields`` (dotted walks too),
``sysparm_display_value`` (``false``, ``true``, ``all``) and ``sysparm_exclude_reference_link``.

With ``false`` a reference is ``{"link", "value"}`` (the sys_id alone when links are excluded),
with ``true`` ``{"display_value", "link"}`` (the display value alone), with ``all``
``{"display_value", "value", "link"}``; an empty reference is ``""`` in the first two.
Choices show their labels, and a journal field its entries as the instance's journal display
("2026-11-29 10:00:00 - Name (Additional comments)\\ntext\\n\\n", newest first; "" as a value).
"""

from __future__ import annotations

from typing import Any

from .store import Record, ServiceNowStore
from .tables import CHOICES, JOURNAL_COLUMNS, JOURNAL_LABELS, REFERENCES


class Shape:
    """One request's way of showing records (its ``sysparm_*`` parameters)."""

    def __init__(
        self, store: ServiceNowStore, base_url: str, query: dict[str, str], table: str
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.table = table
        self.mode = query.get("sysparm_display_value", "false").lower()
        if self.mode not in ("true", "false", "all"):
            self.mode = "false"
        self.links = query.get("sysparm_exclude_reference_link", "false").lower() != "true"
        wanted = query.get("sysparm_fields", "")
        self.fields = [name.strip() for name in wanted.split(",") if name.strip()]
        self._labels: dict[tuple[str, str, str], str] | None = None

    def render(self, row: Record) -> dict[str, Any]:
        names = self.fields or list(row)
        shown: dict[str, Any] = {}
        for name in names:
            value = self._cell(self.table, row, name)
            if value is not None:
                shown[name] = value
        return shown

    def _cell(self, table: str, row: Record, name: str) -> Any:
        head, _, rest = name.partition(".")
        if head not in row:
            return None
        target = REFERENCES.get(table, {}).get(head)
        if rest:
            referenced = self.store.find(target, row[head]) if target else None
            if referenced is None:
                return "" if target else None
            return self._cell(target or "", referenced, rest)
        value = row[head]
        if target is not None:
            return self._reference(target, value)
        if head in JOURNAL_COLUMNS:
            return self._both(self._journal(table, row["sys_id"], head), "")
        label = CHOICES.get(table, {}).get(head, {}).get(value)
        if label is None and head in ("category", "subcategory"):
            label = self._choice_label(table, head, value)
        return self._both(value if label is None else label, value)

    def _both(self, display: str, value: str) -> Any:
        if self.mode == "all":
            return {"display_value": display, "value": value}
        return display if self.mode == "true" else value

    def _reference(self, target: str, value: str) -> Any:
        if not value:
            return {"display_value": "", "value": ""} if self.mode == "all" else ""
        display = self.store.display(target, value)
        link = f"{self.base_url}/api/now/table/{target}/{value}"
        if self.mode == "all":
            shown = {"display_value": display, "value": value}
            return {**shown, "link": link} if self.links else shown
        if self.mode == "true":
            return {"display_value": display, "link": link} if self.links else display
        return {"link": link, "value": value} if self.links else value

    def _journal(self, table: str, sys_id: str, element: str) -> str:
        if self.mode == "false":
            return ""
        entries = [e for e in self.store.journal(table, sys_id) if e["element"] == element]
        text = ""
        for entry in entries:
            user = self.store.user_named(entry["sys_created_by"])
            who = user["name"] if user else entry["sys_created_by"]
            text += (
                f"{entry['sys_created_on']} - {who} ({JOURNAL_LABELS[element]})\n"
                f"{entry['value']}\n\n"
            )
        return text

    def _choice_label(self, table: str, element: str, value: str) -> str | None:
        if self._labels is None:  # read once per request, not once per cell
            self._labels = {
                (row["name"], row["element"], row["value"]): row["label"]
                for row in self.store.rows("sys_choice")
            }
        return self._labels.get((table, element, value)) if value else None
