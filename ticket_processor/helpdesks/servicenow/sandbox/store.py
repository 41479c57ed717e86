"""The ServiceNow sandbox's records: every table's rows, as strings, behind one lock.

What an instance does on a write happens here: defaults and numbering on insert (``sys_number``
prefixes), ``sys_mod_count`` and ``sys_updated_on`` bumped once per write, priority recomputed
from impact and urgency (a written priority is ignored), journal fields (``comments``,
``work_notes``) appended as ``sys_journal_field`` rows instead of stored, the state's dates and
``active`` kept with the state, a reference given by its display value resolved to the sys_id.
Records can be made unreadable to the API user (``hide``): the read ACL the API answers 403 to.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from .query import EncodedQuery, matches, sort_key
from .tables import (
    CLOSED_STATES,
    COLUMNS,
    DISPLAY_COLUMN,
    JOURNAL_COLUMNS,
    NUMBERING,
    REFERENCES,
    RESOLVED_STATES,
    SYSTEM_COLUMNS,
    TASK_TABLES,
    is_sys_id,
    priority_of,
)

Record = dict[str, str]
# Told of every insert and update, under the store's lock: (``insert`` or ``update``, table,
# the record as written, the journal entries it carried, the writer's sys_id).
Observer = Callable[[str, str, Record, Record, str], None]


class BadValue(ValueError):
    """A body value the Table API cannot store (a list, a nested object)."""


def stamp(moment: float) -> str:
    """A moment as the API's value form: ``YYYY-MM-DD HH:MM:SS`` in UTC."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))


def as_text(name: str, value: Any) -> str:
    """A body value as the string the instance stores (``true``, ``3``, ``""`` for null)."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise BadValue(f"Invalid value for field {name}")


class ServiceNowStore:
    """Rows of every served table; thread-safe."""

    def __init__(self, *, now: Callable[[], float]) -> None:
        self._now = now
        self._lock = threading.RLock()
        self.writes = 0
        self._observers: list[Observer] = []
        self._journal_index: tuple[int, dict[str, list[Record]]] = (-1, {})
        self._reset()

    def _reset(self) -> None:
        self._tables: dict[str, dict[str, Record]] = {table: {} for table in COLUMNS}
        # Each table's columns and their defaults: COLUMNS's, and the custom columns an admin
        # added through ``sys_dictionary``.
        self._columns: dict[str, dict[str, str]] = {t: dict(c) for t, c in COLUMNS.items()}
        self._hidden: set[str] = set()
        self._next_number = {table: first for table, (_, first, _) in NUMBERING.items()}

    def watch(self, observer: Observer) -> None:
        """Tell ``observer`` of every insert and update from now on (the business rules)."""
        self._observers.append(observer)

    def _told(self, change: str, table: str, row: Record, notes: Record, user: str) -> None:
        writer = self._user_id(user)
        for observer in self._observers:
            observer(change, table, dict(row), dict(notes), writer)

    # --- reading -------------------------------------------------------------------------

    def has_table(self, table: str) -> bool:
        return table in self._tables

    def find(self, table: str, sys_id: str) -> Record | None:
        with self._lock:
            row = self._tables.get(table, {}).get(sys_id)
            return dict(row) if row is not None else None

    def hidden(self, sys_id: str) -> bool:
        with self._lock:
            return sys_id in self._hidden

    def rows(self, table: str) -> list[Record]:
        with self._lock:
            return [dict(row) for row in self._tables.get(table, {}).values()]

    def count(self, table: str) -> int:
        with self._lock:
            return len(self._tables.get(table, {}))

    def select(self, table: str, query: EncodedQuery) -> list[Record]:
        """The readable rows of ``table`` ``query`` matches, in its order (else as inserted)."""
        with self._lock:
            rows = [
                dict(row)
                for sys_id, row in self._tables.get(table, {}).items()
                if sys_id not in self._hidden and self._matches(table, row, query)
            ]
            for name, descending in reversed(query.order):
                rows.sort(
                    key=lambda row: sort_key(self.field_value(table, row, name) or ""),
                    reverse=descending,
                )
            return rows

    def _matches(self, table: str, row: Record, query: EncodedQuery) -> bool:
        def lookup(name: str) -> str | None:
            return self.field_value(table, row, name)

        return matches(query, lookup)

    def field_value(self, table: str, row: Record, name: str) -> str | None:
        """``row``'s value of ``name``, walking references for a dotted name; None: no field."""
        head, _, rest = name.partition(".")
        if head not in row:
            return None
        if not rest:
            return row[head]
        target = REFERENCES.get(table, {}).get(head)
        if target is None:
            return None
        referenced = self._tables.get(target, {}).get(row[head])
        if referenced is None:
            return "" if rest in self._columns.get(target, {}) or rest in SYSTEM_COLUMNS else None
        return self.field_value(target, referenced, rest)

    def display(self, table: str, sys_id: str) -> str:
        """The display value of ``table``'s record ``sys_id`` ("" when there is none)."""
        with self._lock:
            row = self._tables.get(table, {}).get(sys_id)
            column = DISPLAY_COLUMN.get(table, "sys_id")
            return row.get(column, "") if row is not None else ""

    def user_named(self, user_name: str) -> Record | None:
        with self._lock:
            for row in self._tables["sys_user"].values():
                if row["user_name"] == user_name:
                    return dict(row)
            return None

    def has_role(self, user_name: str, role: str) -> bool:
        """Whether the user holds the role (``sys_user_has_role``)."""
        with self._lock:
            users = [u for u in self._tables["sys_user"].values() if u["user_name"] == user_name]
            roles = {
                r["sys_id"] for r in self._tables["sys_user_role"].values() if r["name"] == role
            }
            held = self._tables["sys_user_has_role"].values()
            return any(h["user"] == u["sys_id"] and h["role"] in roles for u in users for h in held)

    def journal(self, table: str, sys_id: str) -> list[Record]:
        """The record's journal entries, newest first."""
        with self._lock:
            if self._journal_index[0] != self.writes:
                # Rebuilt once per change, not once per record shown: a page of a thousand
                # incidents with their comments reads the journal a thousand times.
                index: dict[str, list[Record]] = {}
                for row in self._tables["sys_journal_field"].values():
                    index.setdefault(row["element_id"], []).append(row)
                self._journal_index = (self.writes, index)
            entries = [
                dict(row) for row in self._journal_index[1].get(sys_id, []) if row["name"] == table
            ]
        entries.reverse()
        entries.sort(key=lambda row: row["sys_created_on"], reverse=True)
        return entries

    # --- writing -------------------------------------------------------------------------

    def insert(
        self, table: str, body: dict[str, Any], user: str, *, at: float | None = None
    ) -> Record:
        """A new record from ``body`` written by ``user`` (a user_name), at ``at`` if given."""
        moment = self._now() if at is None else at
        when = stamp(moment)
        with self._lock:
            row: Record = {
                "sys_id": uuid.uuid4().hex,
                **self._columns[table],
                "sys_created_on": when,
                "sys_created_by": user,
                "sys_updated_on": when,
                "sys_updated_by": user,
                "sys_mod_count": "0",
            }
            if table in TASK_TABLES:
                row["opened_at"] = when
                row["opened_by"] = self._user_id(user)
            given = self._values(table, body)
            if "sys_id" in body and is_sys_id(str(body["sys_id"])):
                row["sys_id"] = str(body["sys_id"])
            notes = {name: given.pop(name) for name in JOURNAL_COLUMNS if name in given}
            row.update(given)
            if table in NUMBERING and not given.get("number"):
                row["number"] = self._number(table)
            self._derive(table, row, given, when)
            self._tables[table][row["sys_id"]] = row
            if table == "sys_dictionary":
                self._add_column(row)
            self._append_journal(table, row["sys_id"], notes, user, when)
            self.writes += 1
            self._told("insert", table, row, notes, user)
            return dict(row)

    def update(
        self, table: str, sys_id: str, body: dict[str, Any], user: str, *, at: float | None = None
    ) -> Record | None:
        """Apply ``body`` to the record (one write: one ``sys_mod_count``); None: no record."""
        when = stamp(self._now() if at is None else at)
        with self._lock:
            row = self._tables.get(table, {}).get(sys_id)
            if row is None:
                return None
            given = self._values(table, body)
            notes = {name: given.pop(name) for name in JOURNAL_COLUMNS if name in given}
            reopened = _reopens(table, row.get("state"), given.get("state"))
            row.update(given)
            self._derive(table, row, given, when)
            if reopened and "reopen_count" in row:
                row["reopen_count"] = str(int(row["reopen_count"] or "0") + 1)
            row["sys_updated_on"] = when
            row["sys_updated_by"] = user
            row["sys_mod_count"] = str(int(row["sys_mod_count"]) + 1)
            self._append_journal(table, sys_id, notes, user, when)
            self.writes += 1
            self._told("update", table, row, notes, user)
            return dict(row)

    def delete(self, table: str, sys_id: str) -> bool:
        with self._lock:
            removed = self._tables.get(table, {}).pop(sys_id, None)
            self._hidden.discard(sys_id)
            if removed is not None:
                self.writes += 1
            return removed is not None

    def hide(self, sys_id: str, hidden: bool = True) -> None:
        """Make the record unreadable to the API user (a read ACL), or readable again."""
        with self._lock:
            if hidden:
                self._hidden.add(sys_id)
            else:
                self._hidden.discard(sys_id)
            self.writes += 1

    def _values(self, table: str, body: dict[str, Any]) -> Record:
        """The writable columns of ``body`` as stored strings; unknown columns are ignored, as
        an instance ignores them, and so are the system columns and a computed priority."""
        columns = self._columns[table]
        values = {
            name: as_text(name, value)
            for name, value in body.items()
            if name in columns and not (name == "priority" and table in TASK_TABLES)
        }
        for name, target in REFERENCES.get(table, {}).items():
            if values.get(name):
                values[name] = self._resolve(target, values[name])
        return values

    def _add_column(self, entry: Record) -> None:
        """A custom (``u_``) column the dictionary row names, added to its table: empty on
        every record there, and written and read from now on."""
        table, column = entry.get("name", ""), entry.get("element", "")
        if table not in self._columns or not column.startswith("u_"):
            return
        if column in self._columns[table]:
            return
        self._columns[table][column] = entry.get("default_value", "")
        for row in self._tables[table].values():
            row.setdefault(column, self._columns[table][column])

    def _resolve(self, table: str, value: str) -> str:
        """A reference given by display value (a group's name) is stored as the sys_id."""
        rows = self._tables.get(table, {})
        if value in rows:
            return value
        column = DISPLAY_COLUMN.get(table)
        for sys_id, row in rows.items():
            if column and row.get(column) == value:
                return sys_id
        return value

    def _derive(self, table: str, row: Record, given: Record, when: str) -> None:
        """What the instance's business rules keep: priority, and the state's dates."""
        if table not in TASK_TABLES:
            return
        row["priority"] = priority_of(row["impact"], row["urgency"])
        state = given.get("state")
        if state is None:
            return
        if state == RESOLVED_STATES.get(table) and "resolved_at" in row:
            row["resolved_at"] = row["resolved_at"] or when
        if state in CLOSED_STATES.get(table, ()):
            row["active"] = "false"
            if "closed_at" in row:
                row["closed_at"] = row["closed_at"] or when
        else:
            row["active"] = "true"
            if state != RESOLVED_STATES.get(table) and "resolved_at" in row:
                row["resolved_at"] = ""

    def _append_journal(self, table: str, sys_id: str, notes: Record, user: str, when: str) -> None:
        for element, text in notes.items():
            if not text.strip():
                continue
            entry = {
                "sys_id": uuid.uuid4().hex,
                **COLUMNS["sys_journal_field"],
                "element_id": sys_id,
                "name": table,
                "element": element,
                "value": text,
                "sys_created_on": when,
                "sys_created_by": user,
                "sys_updated_on": when,
                "sys_updated_by": user,
                "sys_mod_count": "0",
            }
            self._tables["sys_journal_field"][entry["sys_id"]] = entry

    def _number(self, table: str) -> str:
        prefix, _, digits = NUMBERING[table]
        for row in self._tables["sys_number"].values():
            if row["category"] == table:
                prefix, digits = row["prefix"], int(row["maximum_digits"] or digits)
        number = self._next_number[table]
        self._next_number[table] = number + 1
        return f"{prefix}{number:0{digits}d}"

    def _user_id(self, user_name: str) -> str:
        for sys_id, row in self._tables["sys_user"].items():
            if row["user_name"] == user_name:
                return sys_id
        return ""

    # --- the state file (``sandbox/persist.py``) ------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tables": {name: list(rows.values()) for name, rows in self._tables.items()},
                "hidden": sorted(self._hidden),
                "next_number": dict(self._next_number),
            }

    def load_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._reset()
            for name, rows in state["tables"].items():
                if name not in self._tables:
                    raise KeyError(f"unknown table {name!r}")
                self._tables[name] = {str(row["sys_id"]): dict(row) for row in rows}
            for entry in self._tables["sys_dictionary"].values():
                self._add_column(entry)
            self._hidden = set(state.get("hidden", []))
            self._next_number.update(state.get("next_number", {}))
            self.writes += 1


def _reopens(table: str, was: str | None, becomes: str | None) -> bool:
    """Whether a write takes a resolved record back to work (the instance's reopen rule)."""
    resolved = RESOLVED_STATES.get(table)
    closed = CLOSED_STATES.get(table, ())
    return was == resolved and becomes is not None and becomes not in (resolved, *closed)
