"""The sandbox's end users: the requesters tickets name by email, made on first sight.

A ticket's ``requester_id`` (or a numeric ``requester``) is taken as given; a ``requester``
email (a string or ``{"email", "name"}``) becomes a user with an id from 1000 up, the same user
for the same email in any case. Not thread-safe: ``store.TicketStore`` calls it under its lock.
"""

from __future__ import annotations

from typing import Any

FIRST_USER_ID = 1000


class Requesters:
    """End users by lower-cased email."""

    def __init__(self) -> None:
        self.next_id = FIRST_USER_ID
        self._by_email: dict[str, dict[str, Any]] = {}

    def resolve(self, fields: dict[str, Any], default: int) -> int:
        """The requester's user id for a new ticket's ``fields``; ``default`` when none."""
        if isinstance(fields.get("requester_id"), int):
            return int(fields["requester_id"])
        requester = fields.get("requester")
        if isinstance(requester, int):
            return requester
        email = name = locale = None
        if isinstance(requester, str):
            email = requester
        elif isinstance(requester, dict):
            email, name = requester.get("email"), requester.get("name")
            locale = requester.get("locale")
        if not email:
            return default
        email = str(email).lower()
        user = self._by_email.get(email)
        if user is None:
            user = {"id": self.next_id, "email": email, "name": name or email}
            if isinstance(locale, str) and locale:
                user["locale"] = locale  # else the account's default (``agent_record``)
            self.next_id += 1
            self._by_email[email] = user
        return int(user["id"])

    def by_id(self, user_id: int) -> dict[str, Any] | None:
        return next((u for u in self._by_email.values() if u["id"] == user_id), None)

    def to_state(self) -> list[dict[str, Any]]:
        return list(self._by_email.values())

    def load_state(self, users: list[dict[str, Any]], next_id: int) -> None:
        self.next_id = next_id
        self._by_email = {u["email"]: u for u in users}
