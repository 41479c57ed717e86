"""ticketbot's tags as ServiceNow labels: ``label`` rows (one a name, created once) and
``label_entry`` rows tying a label to a record (``table``, ``table_key`` the record's sys_id).

A page of records has its labels read in one request (``table_keyIN…``, the label's name
walked from its reference); adding a tag adds an entry (creating the label if the instance has
none of that name), taking one off deletes the entry. A record's ``sys_tags`` column is not
relied on: it is a display column whose shape differs between releases.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence

from ...errors import NotFoundError
from .wire import TABLE_API, ServiceNowTransport

ENTRY_FIELDS = "sys_id,table_key,label,label.name"


class Labels:
    """The labels of one table's records; label names to sys_ids are remembered once read."""

    def __init__(self, http: ServiceNowTransport, table: str) -> None:
        self.http = http
        self.table = table
        self._ids: dict[str, str] = {}
        self._lock = threading.Lock()

    def of(self, sys_ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Each record's label names, by its sys_id, in one request a hundred records."""
        found: dict[str, list[str]] = {s: [] for s in sys_ids}
        wanted = [s for s in dict.fromkeys(sys_ids) if s]
        for start in range(0, len(wanted), 100):
            chunk = ",".join(wanted[start : start + 100])
            query = f"table={self.table}^table_keyIN{chunk}^ORDERBYsys_created_on"
            for row in self.http.every("label_entry", query, ENTRY_FIELDS, page=1000):
                key, name = row.get("table_key"), row.get("label.name")
                if isinstance(key, str) and isinstance(name, str) and name and key in found:
                    if name not in found[key]:
                        found[key].append(name)
                    label = row.get("label")
                    if isinstance(label, str) and label:
                        with self._lock:
                            self._ids.setdefault(name, label)
        return {key: tuple(names) for key, names in found.items()}

    def add(self, sys_id: str, names: Sequence[str], title: str = "") -> None:
        for name in names:
            body = {
                "label": self._label_id(name),
                "table": self.table,
                "table_key": sys_id,
                "title": title,
            }
            self.http.request("POST", f"{TABLE_API}/label_entry", json=body)

    def remove(self, sys_id: str, names: Sequence[str]) -> None:
        if not names:
            return
        query = f"table={self.table}^table_key={sys_id}"
        for row in list(self.http.every("label_entry", query, ENTRY_FIELDS)):
            if row.get("label.name") in names and isinstance(row.get("sys_id"), str):
                with contextlib.suppress(NotFoundError):  # taken off meanwhile
                    self.http.request("DELETE", f"{TABLE_API}/label_entry/{row['sys_id']}")

    def _label_id(self, name: str) -> str:
        with self._lock:
            known = self._ids.get(name)
        if known:
            return known
        rows = self.http.rows(
            "label",
            {
                "sysparm_query": f"name={name}",
                "sysparm_fields": "sys_id,name",
                "sysparm_limit": "1",
            },
        )
        found = rows[0].get("sys_id") if rows else None
        if not isinstance(found, str) or not found:
            body = {"name": name, "viewable_by": "everyone", "type": "standard", "active": "true"}
            answer = self.http.request("POST", f"{TABLE_API}/label", json=body)
            result = answer.body.get("result") if isinstance(answer.body, dict) else None
            found = result.get("sys_id") if isinstance(result, dict) else None
            if not isinstance(found, str):
                raise NotFoundError(f"ServiceNow created the label {name!r} without a sys_id")
        with self._lock:
            self._ids[name] = found
        return found
