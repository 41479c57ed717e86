"""Freshdesk's structure for many tickets about one thing: tracker tickets, merges.

An incident is one tracker ticket ticketbot opens (``POST /tickets`` with
``related_ticket_ids``: the first reports are linked as it is made); later reports are linked
with ``PUT /tickets/{id}`` ``tracker_id``. A repeat ticket is tagged and noted, or merged
(``PUT /tickets/merge``). Freshdesk's tags replace the list, so a write reads the ticket
first and sends its tags plus ours (minus ours, on a revert); the note follows as its own
request. A revert deletes the tracker (to the trash, where an agent can restore it), which
unlinks its tickets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .reads import private_notes
from .records import PRIORITY_FROM_FRESHDESK, note_html
from .wire import FreshdeskTransport


class FreshdeskLinks:
    """The link writes of ``incidents`` over a ``FreshdeskTransport``."""

    kind = "freshdesk"
    # An incident is a tracker ticket ticketbot opens.
    opens_group = True

    def __init__(self, http: FreshdeskTransport, own_id: int | None) -> None:
        self._http = http
        self._own_id = own_id

    def _ticket(self, ticket_id: int) -> dict[str, Any] | None:
        answer = self._http.request("GET", f"/api/v2/tickets/{int(ticket_id)}")
        return answer.body if isinstance(answer.body, dict) else None

    def facts(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Per ticket, what a link must not overwrite: its association, tags, status (one
        read a ticket: Freshdesk has no read of many by id); and the routing a report follows
        (group, priority, assignee)."""
        found: dict[int, dict[str, Any]] = {}
        for ticket_id in dict.fromkeys(int(i) for i in ids):
            raw = self._ticket(ticket_id)
            if raw is None:
                continue
            linked = raw.get("associated_tickets_list") or []
            found[ticket_id] = {
                "type": {3: "tracker", 4: "related"}.get(raw.get("association_type") or 0),
                "group": linked[0] if raw.get("association_type") == 4 and linked else None,
                "tags": list(raw.get("tags") or []),
                "status": raw.get("status"),
                "group_id": raw.get("group_id"),
                "priority": raw.get("priority"),
                "assignee": raw.get("responder_id"),
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
        """``member``: linked to the tracker ``group``; ``problem``/``flag``: tags and note;
        ``unlink``: our tags taken off and the note (the tracker's deletion unlinks).
        ``routing``: the ``group_id`` and ``priority`` to set with it."""
        raw = self._ticket(ticket_id) or {}
        tags = [t for t in raw.get("tags") or [] if t not in remove_tags]
        tags += [t for t in add_tags if t not in tags]
        change: dict[str, Any] = {"tags": tags, **(routing or {})}
        if action == "member" and raw.get("association_type") != 4:
            change["tracker_id"] = int(group or 0)
        self._http.request("PUT", f"/api/v2/tickets/{int(ticket_id)}", json=change)
        self._http.request(
            "POST",
            f"/api/v2/tickets/{int(ticket_id)}/notes",
            json={"body": note_html(note), "private": True},
            replay_safe=False,
        )

    def open_group(
        self,
        subject: str,
        note: str,
        members: Sequence[int],
        routing: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
    ) -> int:
        """The tracker ticket, with ``members`` linked to it and the ``routing`` they follow
        (high priority when none is given), tagged ``tags`` (ticketbot's own ticket); its id."""
        body: dict[str, Any] = {
            "subject": subject,
            "description": note_html(note),
            "status": 2,
            "priority": 3,
            **(routing or {}),
            "related_ticket_ids": [int(m) for m in members],
        }
        if tags:
            body["tags"] = list(tags)
        if self._own_id is not None:
            body["requester_id"] = self._own_id
        answer = self._http.request("POST", "/api/v2/tickets", json=body, replay_safe=False)
        created = answer.body if isinstance(answer.body, dict) else {}
        return int(created["id"])

    def close_group(self, group: int) -> None:
        """Delete the tracker (to the trash): its tickets are linked to nothing any more."""
        self._http.request("DELETE", f"/api/v2/tickets/{int(group)}")

    def merge(self, target: int, source: int, note: str) -> None:
        """Merge ``source`` into ``target`` (Freshdesk closes the source; no unmerge)."""
        self._http.request(
            "PUT",
            "/api/v2/tickets/merge",
            json={
                "primary_id": int(target),
                "ticket_ids": [int(source)],
                "note_in_secondary": {"body": note_html(note), "private": True},
            },
            replay_safe=False,
        )

    def has_note(self, ticket_id: int, marker: str) -> bool:
        return any(marker in text for _, text in private_notes(self._http, ticket_id))

    def priority_name(self, value: Any) -> str | None:
        """Freshdesk's priority number (1-4) by its name."""
        return PRIORITY_FROM_FRESHDESK.get(value) if isinstance(value, int) else None
