"""Zendesk's test desk's deletions (``sandbox/deletion_desk.DeletionDesk``): a ticket or its
requester deleted through the sandbox's API, as an agent (or an admin) deletes one; and, Zendesk's
alone, a phrase redacted from a ticket's comment (``helpdesk_redacts``)."""

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

    def helpdesk_redacts(self, ticket_id: int, phrase: str) -> None:
        """``phrase`` redacted from the first of the ticket's comments that holds it, as an
        agent redacts in the agent workspace (``PUT /api/v2/comment_redactions/{id}``)."""
        comments = self.sandbox.store.comments(ticket_id)
        comment = next(c for c in comments if phrase in c["html_body"])
        tagged = comment["html_body"].replace(phrase, f"<redact>{phrase}</redact>", 1)
        config = self.sandbox.config
        answer = requests.put(
            f"{self.sandbox.url}/api/v2/comment_redactions/{int(comment['id'])}.json",
            json={"ticket_id": int(ticket_id), "html_body": tagged},
            auth=(f"{config.email}/token", config.token),
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
