"""Freshdesk's test desk's deletions (``sandbox/deletion_desk.DeletionDesk``): a ticket or its
requester's contact deleted through the sandbox's API, as an agent deletes one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from .serving import RunningFreshdesk

TIMEOUT = 10.0


class FreshdeskDeletionDesk:
    sandbox: RunningFreshdesk

    def _delete(self, path: str) -> None:
        auth = (self.sandbox.config.api_key, "X")
        answer = requests.delete(f"{self.sandbox.url}{path}", auth=auth, timeout=TIMEOUT)
        answer.raise_for_status()

    def helpdesk_deletes(self, ticket_id: int) -> None:
        self._delete(f"/api/v2/tickets/{int(ticket_id)}")

    def helpdesk_deletes_requester(self, ticket_id: int) -> None:
        requester = self.sandbox.store.find(ticket_id)["requester_id"]
        self._delete(f"/api/v2/contacts/{int(requester)}")
