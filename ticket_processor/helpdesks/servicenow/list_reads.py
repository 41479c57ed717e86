"""Reading the table's records as tickets: by an encoded query, by ticketbot's ids (their
``number``), or one; each with its labels (one ``label_entry`` request a page) and the row it
came from (its sys_id, ``sys_mod_count``, the caller's user name).

A record hidden from the integration user by an ACL is left out of a list by the instance (a
``GET`` by sys_id would be a 403): a record read by a list query that is gone or hidden is
None, as a deleted ticket is to the others.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...models import Ticket
from .labels import Labels
from .records import NUMBERING, fields_for, number_digits, number_of, parse_records
from .wire import PAGE, ServiceNowTransport


@dataclass(frozen=True)
class Record:
    """A ticket and the record it was read from."""

    ticket: Ticket
    row: dict[str, Any]

    @property
    def sys_id(self) -> str:
        return str(self.row.get("sys_id") or "")


class TableReads:
    """The configured table's records as tickets; the number prefix read once."""

    def __init__(self, http: ServiceNowTransport, table: str, labels: Labels) -> None:
        self.http = http
        self.table = table
        self.labels = labels
        self.custom: tuple[str, ...] = ()  # the ``u_`` columns read with every record
        self._numbering: tuple[str, int] | None = None
        self._lock = threading.Lock()

    @property
    def fields(self) -> str:
        return fields_for(self.table, self.custom)

    def numbering(self) -> tuple[str, int]:
        """The table's number prefix and digits (``sys_number``; INC/7, CS/7 without one),
        read once: the run's threads that ask meanwhile wait for that one read."""
        with self._lock:
            if self._numbering is not None:
                return self._numbering
            found = NUMBERING[self.table]
            rows = self.http.rows(
                "sys_number",
                {
                    "sysparm_query": f"category={self.table}",
                    "sysparm_fields": "prefix,maximum_digits",
                    "sysparm_limit": "1",
                },
            )
            if rows and isinstance(rows[0].get("prefix"), str) and rows[0]["prefix"]:
                with contextlib.suppress(ValueError):
                    found = (rows[0]["prefix"], int(rows[0].get("maximum_digits") or 7))
            self._numbering = found
            return found

    def number(self, ticket_id: int) -> str:
        prefix, width = self.numbering()
        return number_of(ticket_id, prefix, width)

    def read(self, query: str, *, limit: int = PAGE) -> list[Record]:
        """The records ``query`` matches (at most ``limit``), as tickets with their labels."""
        params = {
            "sysparm_query": query,
            "sysparm_fields": self.fields,
            "sysparm_limit": str(limit),
            "sysparm_display_value": "false",
            "sysparm_exclude_reference_link": "true",
            "sysparm_suppress_pagination_header": "true",
            "sysparm_no_count": "true",
        }
        rows = self.http.rows(self.table, params)
        tags = self.labels.of([str(r.get("sys_id")) for r in rows if r.get("sys_id")])
        tickets, _ = parse_records(self.table, rows, tags, self.custom)
        by_id = {number_digits(r.get("number")): r for r in rows}
        return [Record(t, by_id[t.id]) for t in tickets if t.id in by_id]

    def by_ids(self, ids: Sequence[int]) -> dict[int, Record]:
        """The records with these ids, a hundred a request; an id not found is left out."""
        wanted = list(dict.fromkeys(int(i) for i in ids))
        found: dict[int, Record] = {}
        for start in range(0, len(wanted), PAGE):
            numbers = ",".join(self.number(i) for i in wanted[start : start + PAGE])
            for record in self.read(f"numberIN{numbers}", limit=PAGE):
                found[record.ticket.id] = record
        return found

    def one(self, ticket_id: int) -> Record | None:
        found = self.read(f"number={self.number(ticket_id)}", limit=1)
        return found[0] if found else None

    def by_sys_ids(self, sys_ids: Sequence[str]) -> list[Record]:
        wanted = list(dict.fromkeys(s for s in sys_ids if s))
        found: list[Record] = []
        for start in range(0, len(wanted), PAGE):
            chunk = ",".join(wanted[start : start + PAGE])
            found += self.read(f"sys_idIN{chunk}", limit=PAGE)
        return found
