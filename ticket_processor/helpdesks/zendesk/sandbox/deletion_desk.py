"""Zendesk's test desk's deletions (``sandbox/deletion_desk.DeletionDesk``): a ticket or its
requester deleted through the sandbox's API, as an agent (or an admin) deletes one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from .server import RunningSandbox

TIMEOUT = 10.0


class ZendeskDeletionDesk:
    sandbox: RunningSandbox

    def _delete(self, path: str) -> None:
        config = self.sandbox.config
        auth = (f"{config.email}/token", config.token)
        answer = requests.delete(f"{self.sandbox.url}{path}", auth=auth, timeout=TIMEOUT)
        answer.raise_for_status()

    def helpdesk_deletes(self, ticket_id: int) -> None:
        self._delete(f"/api/v2/tickets/{int(ticket_id)}.json")

    def helpdesk_deletes_requester(self, ticket_id: int) -> None:
        requester = self.sandbox.store.get(ticket_id)["requester_id"]
        self._delete(f"/api/v2/users/{int(requester)}.json")
