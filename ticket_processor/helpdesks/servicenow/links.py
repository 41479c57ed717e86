"""ServiceNow's structure for many records about one thing: a parent record and its children.

An incident is one parent record ticketbot opens in the same table (an incident's reports get
``parent_incident``, a case's ``parent``): an agent sees the reports in the parent's related
list and can close them with it. A repeat is labelled and noted; ServiceNow has no merge, so
a merge is the same: the source's ``parent`` set to the target, a work note, the source
resolved as a duplicate is left to the agent. A revert cancels the parent record (incident
state 8, case 7), which leaves its children's link for the agent to see, and unlinks them.
Facts speak ticketbot's words (``priority`` ``urgent``…, ``status`` ``solved``…) so the
incidents pass ranks them as it ranks the others'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...models import Priority
from .labels import Labels
from .list_reads import TableReads
from .reads import work_notes
from .records import IMPACT_URGENCY, PARENT, number_digits
from .wire import TABLE_API, ServiceNowTransport, result_row

CANCELLED = {"incident": "8", "sn_customerservice_case": "7"}


class ServiceNowLinks:
    """The link writes of ``incidents`` over a ``ServiceNowTransport``."""

    kind = "servicenow"
    opens_group = True

    def __init__(
        self, http: ServiceNowTransport, reads: TableReads, labels: Labels, groups: dict[int, str]
    ) -> None:
        self._http = http
        self._reads = reads
        self._labels = labels
        self._groups = groups  # group ids to sys_ids, as read by ``groups()``

    @property
    def _table(self) -> str:
        return self._reads.table

    def facts(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Per ticket, what a link must not overwrite: its parent, labels, status; and the
        routing a report follows (group, priority, assignee); one request a hundred."""
        found: dict[int, dict[str, Any]] = {}
        records = self._reads.by_ids(ids)
        parents = {
            str(r.row.get(PARENT[self._table]) or "")
            for r in records.values()
            if r.row.get(PARENT[self._table])
        }
        numbers = {p.sys_id: p.ticket.id for p in self._reads.by_sys_ids(sorted(parents))}
        for ticket_id, record in records.items():
            parent = numbers.get(str(record.row.get(PARENT[self._table]) or ""))
            ticket = record.ticket
            found[ticket_id] = {
                "type": "related" if parent is not None else None,
                "group": parent,
                "tags": list(ticket.tags),
                "status": ticket.status,
                "group_id": ticket.group_id,
                "priority": ticket.priority,
                "assignee": ticket.assignee_id,
            }
        return found

    def _routing(self, routing: Mapping[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, value in (routing or {}).items():
            if name == "priority" and value in Priority._value2member_map_:
                body["impact"], body["urgency"] = IMPACT_URGENCY[Priority(value)]
            elif name == "group_id" and isinstance(value, int) and value in self._groups:
                body["assignment_group"] = self._groups[value]
        return body

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
        """``member``: a child of the parent ``group``; ``problem``/``flag``: labels and note;
        ``unlink``: our labels off and the note. The note goes with the fields in one PATCH."""
        record = self._reads.one(ticket_id)
        if record is None:
            return
        change: dict[str, Any] = {**self._routing(routing), "work_notes": note}
        if action == "member" and group is not None:
            parent = self._reads.one(group)
            if parent is not None:
                change[PARENT[self._table]] = parent.sys_id
        path = f"{TABLE_API}/{self._table}/{record.sys_id}"
        self._http.request("PATCH", path, json=change, replay_safe=False)
        self._labels.add(record.sys_id, [t for t in add_tags if t not in record.ticket.tags])
        self._labels.remove(record.sys_id, [t for t in remove_tags if t in record.ticket.tags])

    def open_group(
        self,
        subject: str,
        note: str,
        members: Sequence[int],
        routing: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
    ) -> int:
        """The parent record, with ``members`` its children and the ``routing`` they follow
        (high priority when none is given), labelled ``tags``; its id."""
        body: dict[str, Any] = {
            "short_description": subject,
            "description": note,
            "work_notes": note,
            "impact": IMPACT_URGENCY[Priority.HIGH][0],
            "urgency": IMPACT_URGENCY[Priority.HIGH][1],
            **self._routing(routing),
        }
        path = f"{TABLE_API}/{self._table}"
        answer = self._http.request("POST", path, json=body, replay_safe=False)
        created = result_row(answer.body)
        sys_id, number = str(created.get("sys_id") or ""), number_digits(created.get("number"))
        if not sys_id or number is None:
            raise ValueError("ServiceNow created the parent record without a sys_id or number")
        self._labels.add(sys_id, list(tags))
        for member in self._reads.by_ids(members).values():
            self._http.request(
                "PATCH",
                f"{path}/{member.sys_id}",
                json={PARENT[self._table]: sys_id},
            )
        return number

    def close_group(self, group: int) -> None:
        """Cancel the parent record and unlink its children."""
        parent = self._reads.one(group)
        if parent is None:
            return
        path = f"{TABLE_API}/{self._table}"
        column = PARENT[self._table]
        for child in self._reads.read(f"{column}={parent.sys_id}", limit=1000):
            self._http.request("PATCH", f"{path}/{child.sys_id}", json={column: ""})
        self._http.request(
            "PATCH", f"{path}/{parent.sys_id}", json={"state": CANCELLED[self._table]}
        )

    def merge(self, target: int, source: int, note: str) -> None:
        """ServiceNow has no merge: ``source`` becomes a child of ``target``, with the note."""
        self.write("member", source, group=target, note=note)

    def has_note(self, ticket_id: int, marker: str) -> bool:
        record = self._reads.one(ticket_id)
        if record is None:
            return False
        return any(marker in text for text in work_notes(self._http, self._table, record.sys_id))

    def priority_name(self, value: Any) -> str | None:
        return value if value in Priority._value2member_map_ else None
