"""What a test desk does to delete in its helpdesk, as an agent or an admin would: each kind's
sandbox desk has these (``helpdesks/<kind>/sandbox/deletion_desk.py``), through the sandbox's
HTTP API, so the deletion lands where ticketbot's deletion read finds it."""

from __future__ import annotations

from typing import Protocol

from .desks import Desk


class DeletionDesk(Desk, Protocol):
    def helpdesk_deletes(self, ticket_id: int) -> None:
        """The ticket deleted (to the helpdesk's trash)."""
        ...

    def helpdesk_deletes_requester(self, ticket_id: int) -> None:
        """The ticket's requester deleted (their contact or user)."""
        ...
