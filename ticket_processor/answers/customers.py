"""The customers a run answers, as the reply needs them: each one's name (the greeting) and
own locale (the reply's language), read from the helpdesk once a run per customer."""

from __future__ import annotations

import threading

from .deliver import AnswerDesk


class AnsweredCustomers:
    """The names and locales read so far; safe to ask from the planning threads."""

    def __init__(self, desk: AnswerDesk) -> None:
        self.desk = desk
        self._lock = threading.Lock()
        self._names: dict[int, str | None] = {}
        self._locales: dict[int, str | None] = {}

    def name(self, user_id: int | None) -> str | None:
        """The customer's name for the greeting (read once a run per customer)."""
        if user_id is None:
            return None
        with self._lock:
            if user_id in self._names:
                return self._names[user_id]
        name = self.desk.requester_name(user_id)
        with self._lock:
            self._names[user_id] = name
        return name

    def locale(self, user_id: int | None) -> str | None:
        """The customer's own locale in the helpdesk, where the ticket's read did not bring
        it (read once a run per customer; None where the helpdesk cannot tell)."""
        read = getattr(self.desk, "requester_locale", None)
        if user_id is None or not callable(read):
            return None
        with self._lock:
            if user_id in self._locales:
                return self._locales[user_id]
        found = read(user_id)
        locale = found if isinstance(found, str) else None
        with self._lock:
            self._locales[user_id] = locale
        return locale
