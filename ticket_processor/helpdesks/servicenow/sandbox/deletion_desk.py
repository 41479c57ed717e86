"""ServiceNow's test desk's deletions (``sandbox/deletion_desk.DeletionDesk``): an incident or
its caller's ``sys_user`` deleted through the sandbox's Table API, as an admin deletes one; the
instance records each in ``sys_audit_delete``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from .serving import RunningServiceNow

TIMEOUT = 10.0
TICKETS = "incident"


class ServiceNowDeletionDesk:
    sandbox: RunningServiceNow

    def _delete(self, table: str, sys_id: str) -> None:
        config = self.sandbox.config
        answer = requests.delete(
            f"{self.sandbox.url}/api/now/table/{table}/{sys_id}",
            auth=(config.user, config.password),
            timeout=TIMEOUT,
        )
        answer.raise_for_status()

    def _record(self, ticket_id: int) -> dict[str, str]:
        sys_id = self.sandbox.sandbox.record_of(TICKETS, ticket_id)
        row = self.sandbox.store.find(TICKETS, sys_id or "")
        if row is None:
            raise KeyError(f"no incident {ticket_id}")
        return row

    def helpdesk_deletes(self, ticket_id: int) -> None:
        self._delete(TICKETS, self._record(ticket_id)["sys_id"])

    def helpdesk_deletes_requester(self, ticket_id: int) -> None:
        self._delete("sys_user", self._record(ticket_id)["caller_id"])
