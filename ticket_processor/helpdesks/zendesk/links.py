"""Zendesk's structure for many tickets about one thing: problem and incident tickets, merges.

An incident's reports become ``type: incident`` with the ``problem_id`` of one problem ticket
(here the first report, made ``type: problem``: solving it solves its incidents); a repeat
ticket is tagged and noted, or merged into the earlier one (``POST /tickets/{id}/merge``, a
job). Each write is one ``PUT /tickets/{id}`` carrying the type, the link, the tags to add or
remove and the internal note together, so a ticket either has all of them or none: the tag
then tells a rerun the write is done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import HelpdeskError
from .client import BATCH_LIMIT, ZendeskClient
from .records import parse_job_status


class _Job:
    def __init__(self, job_id: str, status: str) -> None:
        self.id = job_id
        self.status = status


class ZendeskLinks:
    """The link writes of ``incidents`` over a ``ZendeskClient``."""

    kind = "zendesk"
    # The problem is one of the reports: no ticket is opened for it.
    opens_group = False

    def __init__(self, client: ZendeskClient) -> None:
        self._client = client

    def facts(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Per ticket, what a link must not overwrite: type, problem, tags, status; and the
        routing a report follows (group, priority, assignee)."""
        found: dict[int, dict[str, Any]] = {}
        unique = list(dict.fromkeys(int(i) for i in ids))
        for start in range(0, len(unique), BATCH_LIMIT):
            chunk = unique[start : start + BATCH_LIMIT]
            body = self._client.http.request(
                "GET",
                "/api/v2/tickets/show_many.json",
                params={"ids": ",".join(str(i) for i in chunk)},
            )
            for raw in body.get("tickets") or []:
                if isinstance(raw, dict) and isinstance(raw.get("id"), int):
                    found[raw["id"]] = {
                        "type": raw.get("type"),
                        "group": raw.get("problem_id"),
                        "tags": list(raw.get("tags") or []),
                        "status": raw.get("status"),
                        "group_id": raw.get("group_id"),
                        "priority": raw.get("priority"),
                        "assignee": raw.get("assignee_id"),
                    }
        return found

    def write(
        self,
        action: str,
        ticket_id: int,
        *,
        group: int | None,
        note: str,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        routing: Mapping[str, Any] | None = None,
    ) -> None:
        """``problem``: make it the problem; ``member``: an incident of ``group``; ``flag``:
        tags and note only; ``unlink``: no type, no problem (a revert). ``routing``: the
        ``group_id`` and ``priority`` to set with it."""
        change: dict[str, Any] = {"comment": {"body": note, "public": False}, **(routing or {})}
        if action == "problem":
            change["type"] = "problem"
        elif action == "member":
            change.update(type="incident", problem_id=group)
        elif action == "unlink":
            change.update(type=None, problem_id=None)
        if add_tags:
            change["additional_tags"] = list(add_tags)
        if remove_tags:
            change["remove_tags"] = list(remove_tags)
        self._client.http.request(
            "PUT",
            f"/api/v2/tickets/{int(ticket_id)}.json",
            json={"ticket": change},
            replay_safe=False,  # a replay would add the note twice
        )

    def open_group(
        self,
        subject: str,
        note: str,
        members: Sequence[int],
        routing: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
    ) -> int:
        raise HelpdeskError("on Zendesk the first report is the problem: no ticket is opened")

    def close_group(self, group: int) -> None:
        """Nothing to close: the problem is a customer's ticket, unlinked by ``write``."""

    def merge(self, target: int, source: int, note: str) -> None:
        """Merge ``source`` into ``target`` (Zendesk closes the source; it cannot be undone)."""
        body = self._client.http.request(
            "POST",
            f"/api/v2/tickets/{int(target)}/merge.json",
            json={
                "ids": [int(source)],
                "source_comment": note,
                "target_comment": f"Request #{int(source)} was merged into this request.",
                "source_comment_is_public": False,
                "target_comment_is_public": False,
            },
            replay_safe=False,
        )
        job = parse_job_status(body)
        done = self._client.wait_for_job(_Job(job.id, job.status), timeout=60.0)
        if done.status != "completed" or done.failed:
            raise HelpdeskError(f"Zendesk did not merge #{source} into #{target}")

    def has_note(self, ticket_id: int, marker: str) -> bool:
        return any(marker in str(c.get("body") or "") for c in self._client.comments(ticket_id))

    def priority_name(self, value: Any) -> str | None:
        """Zendesk names its priorities: the value itself."""
        return value if isinstance(value, str) else None
