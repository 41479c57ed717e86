"""ticketbot's int ids of ServiceNow's users and groups, back to their sys_ids.

A user's or group's id is its sys_id's first 15 hex digits (``records.sys_int``); writing a
group or an assignee, or asking about a caller, needs the sys_id again: found with
``sys_idSTARTSWITH`` (one request, remembered for the run) or from the groups list read once.
"""

from __future__ import annotations

import threading

from .records import sys_int
from .wire import ServiceNowTransport


class IdBook:
    """sys_ids by (table, int id), read when first asked for."""

    def __init__(self, http: ServiceNowTransport) -> None:
        self.http = http
        self._known: dict[tuple[str, int], str | None] = {}
        self._locales: dict[int, str | None] = {}
        self._lock = threading.Lock()

    def sys_id(self, table: str, value: int | None) -> str | None:
        if value is None:
            return None
        key = (table, int(value))
        with self._lock:
            if key in self._known:
                return self._known[key]
        rows = self.http.rows(
            table,
            {
                "sysparm_query": f"sys_idSTARTSWITH{int(value):015x}",
                "sysparm_fields": "sys_id,preferred_language" if table == "sys_user" else "sys_id",
                "sysparm_limit": "1",
            },
        )
        found = rows[0].get("sys_id") if rows else None
        sys_id = found if isinstance(found, str) and sys_int(found) == int(value) else None
        with self._lock:
            self._known[key] = sys_id
            if table == "sys_user" and rows:
                language = rows[0].get("preferred_language")
                self._locales[int(value)] = (
                    language if isinstance(language, str) and language else None
                )
        return sys_id

    def locale(self, user: int) -> str | None:
        """The user's ``preferred_language`` (None: unset or unreadable)."""
        self.sys_id("sys_user", user)
        with self._lock:
            return self._locales.get(int(user))

    def groups(self) -> dict[int, str]:
        """Every active group's sys_id by its int id (one list read)."""
        found: dict[int, str] = {}
        for row in self.http.every("sys_user_group", "active=true", "sys_id"):
            sys_id = row.get("sys_id")
            group = sys_int(sys_id)
            if isinstance(sys_id, str) and group is not None:
                found[group] = sys_id
        with self._lock:
            self._known.update({("sys_user_group", k): v for k, v in found.items()})
        return found
