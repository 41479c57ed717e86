"""ServiceNow's test desk: its sandbox as a ``Desk`` (``sandbox/desks.py``), for the tests, the
crash campaign and the benchmarks; ``serve`` is what ServiceNow's descriptor names as its desk.

Tickets are incidents; a ticket's id is its number's digits (``INC0010001`` → 10001). Tags are
labels (``label_entry`` rows); ticketbot's notes are the work notes its API user wrote; the
desk's people are the incident's caller (a ``sys_user`` of its own) and the human agent
``beth.anglin`` (``HUMAN_AGENT_ID``'s equivalent), never the API user.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ....sandbox.desks import (
    HUMAN_AGENT_ID,
    Linked,
    ListedTicket,
    NewTicket,
    Snapshot,
    SolvedTicket,
)
from .config import ServiceNowConfig
from .deletion_desk import ServiceNowDeletionDesk
from .labels import add_label, labels_of, set_labels
from .seed import HUMAN_AGENT_USER, add_user, restrict_column
from .serving import RunningServiceNow, serve_in_thread
from .sla_desk import ServiceNowSlaDesk
from .staff_desk import ServiceNowStaffDesk

TABLE = "incident"
# ticketbot's priority -> (impact, urgency) whose computed priority means it.
IMPACT_URGENCY = {
    "urgent": ("1", "1"),
    "high": ("1", "2"),
    "normal": ("2", "2"),
    "low": ("2", "3"),
}
PRIORITY_WORDS = {"1": "urgent", "2": "high", "3": "normal", "4": "low", "5": "low"}
_STATES = {"new": "1", "open": "2", "pending": "3"}


class ServiceNowDesk(ServiceNowSlaDesk, ServiceNowStaffDesk, ServiceNowDeletionDesk):
    kind = "servicenow"
    invalid_word = "Data Policy Exception"
    first_id = 10001  # INC0010001
    outcomes: tuple[str, ...] = ("reopen",)  # no rating or escalation on the record

    @property
    def ops(self) -> dict[str, str]:
        record = "/api/now/table/incident/{sys_id}"
        return {
            "list": "GET /api/now/table/incident",
            # Notes and field changes both go in a PATCH of the record (journal fields).
            "note": f"PATCH {record}",
            "write": f"PATCH {record}",
            "journal": "GET /api/now/table/sys_journal_field",
            "labels": "GET /api/now/table/label_entry",
        }

    def __init__(self, sandbox: RunningServiceNow) -> None:
        self.sandbox = sandbox

    @property
    def url(self) -> str:
        return self.sandbox.url

    def env(self) -> dict[str, str]:
        return {
            "TICKETBOT_HELPDESK": "servicenow",
            "SERVICENOW_URL": self.sandbox.url,
            "SERVICENOW_USERNAME": self.sandbox.config.user,
            "SERVICENOW_PASSWORD": self.sandbox.config.password,
        }

    def api_auth(self) -> tuple[str, str]:
        return self.sandbox.config.user, self.sandbox.config.password

    @property
    def _api_user(self) -> str:
        return self.sandbox.config.user

    def _sys_id(self, ticket_id: int) -> str:
        sys_id = self.sandbox.sandbox.record_of(TABLE, ticket_id)
        if sys_id is None:
            raise KeyError(f"no incident {ticket_id}")
        return sys_id

    def _caller(self, ticket_id: int) -> str:
        row = self.sandbox.store.find(TABLE, self._sys_id(ticket_id)) or {}
        caller = self.sandbox.store.find("sys_user", row.get("caller_id", ""))
        return caller["user_name"] if caller else self._api_user

    def _make(self, ticket: NewTicket, email: str, extra: dict[str, Any], at: float | None) -> str:
        store = self.sandbox.store
        caller = add_user(store, email, ticket.requester_name or email.split("@")[0], email)
        impact, urgency = IMPACT_URGENCY.get(ticket.priority or "", ("3", "3"))
        fields: dict[str, Any] = {
            "short_description": ticket.subject,
            "description": ticket.body,
            "caller_id": caller,
            "impact": impact,
            "urgency": urgency,
            "contact_type": "email" if ticket.sender else "self-service",
            **extra,
        }
        if ticket.cc:  # the people copied in: the incident's watch list
            fields["watch_list"] = ",".join(email for _, email in ticket.cc)
        if ticket.locale:
            store.update("sys_user", caller, {"preferred_language": ticket.locale}, "system")
        if ticket.organization is not None:  # the caller works for a customer company
            company = self._company(f"Customer {ticket.organization}")
            store.update("sys_user", caller, {"company": company}, "system")
        if ticket.agent:
            name, agent_email = ticket.agent
            fields["assigned_to"] = add_user(store, agent_email, name, agent_email)
        # Raised by its caller (the portal, an inbound mail), not by ticketbot's API user:
        # the business rule skips that user's own writes, as a real rule does.
        made = store.insert(TABLE, fields, email, at=at)
        for tag in ticket.tags:
            add_label(store, TABLE, made["sys_id"], tag, self._api_user)
        return made["number"]

    def _company(self, name: str) -> str:
        store = self.sandbox.store
        found = [row["sys_id"] for row in store.rows("core_company") if row["name"] == name]
        if found:
            return str(found[0])
        return str(store.insert("core_company", {"name": name}, "system")["sys_id"])

    def create(self, tickets: list[NewTicket]) -> list[int]:
        ids = []
        for n, t in enumerate(tickets):
            extra = {"state": _STATES.get(t.status, "2")}
            if t.status == "pending":
                extra["hold_reason"] = "1"  # Awaiting Caller
            number = self._make(t, t.sender or f"customer{n}@example.com", extra, None)
            ids.append(_digits(number))
        return ids

    def import_answered(
        self, ticket: NewTicket, replies: Sequence[tuple[str, float]], solved_at: float
    ) -> int:
        """Resolved (state 6) at ``solved_at``, asked an hour before the first reply, each reply
        an agent's comment at its moment (the store's side door, as an import set would)."""
        asked = min((moment for _, moment in replies), default=solved_at) - 3600
        email = ticket.sender or f"history{asked:.0f}@example.com"
        number = self._make(ticket, email, {"state": "2"}, asked)
        sys_id = self._sys_id(_digits(number))
        store = self.sandbox.store
        for text, moment in replies:
            store.update(TABLE, sys_id, {"comments": text}, HUMAN_AGENT_USER, at=moment)
        resolution = {"state": "6", "close_code": "Solution provided", "close_notes": "Answered"}
        store.update(TABLE, sys_id, resolution, HUMAN_AGENT_USER, at=solved_at)
        return _digits(number)

    def customer_rates(self, ticket_id: int, score: str) -> None:
        """A completed survey instance for the record and its one answer (5 good, 1 bad)."""
        store = self.sandbox.store
        sys_id = self._sys_id(ticket_id)
        caller = str((store.find(TABLE, sys_id) or {}).get("caller_id") or "")
        survey = {"metric_type": "Customer Satisfaction", "state": "complete", "user": caller}
        survey |= {"trigger_table": TABLE, "trigger_id": sys_id, "task_id": sys_id}
        made = store.insert("asmt_assessment_instance", survey, "system")
        value = "5" if score == "good" else "1"
        answer = {"instance": made["sys_id"], "metric": "satisfaction", "actual_value": value}
        store.insert("asmt_metric_result", answer, "system")

    def import_solved(self, tickets: list[SolvedTicket]) -> list[int]:
        """Closed incidents (state 7) with their reopens (``reopen_count``); ServiceNow keeps no
        rating or escalation on them."""
        ids = []
        for n, t in enumerate(tickets):
            closed = {"state": "7", "close_code": "Solution provided", "close_notes": "Solved"}
            closed["reopen_count"] = str(t.reopens)
            number = self._make(
                NewTicket(t.subject, t.body), f"solved{n}@example.com", closed, None
            )
            ids.append(_digits(number))
        return ids

    def snapshot(self, ticket_id: int) -> Snapshot:
        store = self.sandbox.store
        sys_id = self._sys_id(ticket_id)
        row = store.find(TABLE, sys_id) or {}
        notes = [
            entry["value"]
            for entry in reversed(store.journal(TABLE, sys_id))
            if entry["element"] == "work_notes" and entry["sys_created_by"] == self._api_user
        ]
        priority = PRIORITY_WORDS.get(row.get("priority", ""))
        return Snapshot(labels_of(store, TABLE, sys_id), priority, notes)

    def linked(self, ticket_id: int) -> Linked:
        """A report is a ``child`` of its ``parent_incident``; the incident it names is a
        ``parent``; the notes are the incident's work notes, anyone's."""
        store = self.sandbox.store
        sys_id = self._sys_id(ticket_id)
        row = store.find(TABLE, sys_id) or {}
        parent = store.find(TABLE, row.get("parent_incident") or "")
        children = any(other.get("parent_incident") == sys_id for other in store.rows(TABLE))
        caller = row.get("caller_id") or ""
        return Linked(
            tags=sorted(labels_of(store, TABLE, sys_id)),
            link="child" if parent else "parent" if children else None,
            group=_digits(parent["number"]) if parent else None,
            notes=[
                entry["value"]
                for entry in reversed(store.journal(TABLE, sys_id))
                if entry["element"] == "work_notes"
            ],
            status=str(row.get("state", "")),
            priority=PRIORITY_WORDS.get(row.get("priority", "")),
            requester=int(caller[:15], 16) if caller else 0,
            description=str(row.get("description") or ""),
        )

    def agent_links(self, ticket_id: int) -> None:
        """An incident of the agent's, the ticket made its child."""
        store = self.sandbox.store
        parent = store.insert(TABLE, {"short_description": "agent's parent"}, HUMAN_AGENT_USER)
        link = {"parent_incident": parent["sys_id"]}
        store.update(TABLE, self._sys_id(ticket_id), link, HUMAN_AGENT_USER)

    def merged(self, source: int, target: int) -> bool:
        """ServiceNow has no merge: the source is the target's child."""
        return self.linked(source).group == target

    def agent_in(self, groups: Sequence[int]) -> int:
        """A ``sys_user`` with a ``sys_user_grmember`` row for each group."""
        store = self.sandbox.store
        n = len(store.rows("sys_user")) + 1
        user = add_user(store, f"agent.{n}", f"Agent {n}", f"agent{n}@example.com")
        for group in groups:
            member = {"user": user, "group": self._by_id("sys_user_group", group)}
            store.insert("sys_user_grmember", member, "system")
        return int(user[:15], 16)

    def agent_routes(self, ticket_id: int, *, group: int | None = None,
                     priority: str | None = None, assignee: int | None = None) -> None:  # fmt: skip
        """Assignment group, impact and urgency (whose computed priority means ``priority``),
        assigned to."""
        change: dict[str, Any] = {}
        if group is not None:
            change["assignment_group"] = self._by_id("sys_user_group", group)
        if priority is not None:
            change["impact"], change["urgency"] = IMPACT_URGENCY[priority]
        if assignee is not None:
            change["assigned_to"] = self._by_id("sys_user", assignee)
        self.sandbox.store.update(TABLE, self._sys_id(ticket_id), change, HUMAN_AGENT_USER)

    def field_audience(self, key: str, *, shown: bool, editable: bool) -> None:
        """Field-level ACLs on the incident's column: customers who may not see (edit) it
        meet a read (write) ACL requiring itil."""
        restrict_column(self.sandbox.store, TABLE, key, read=not shown, write=not editable)

    def routing(self, ticket_id: int) -> tuple[int | None, str | None, int | None]:
        row = self.sandbox.store.find(TABLE, self._sys_id(ticket_id)) or {}
        assignee = row.get("assigned_to") or ""
        return (
            self.group_of(ticket_id),
            PRIORITY_WORDS.get(row.get("priority", "")),
            int(assignee[:15], 16) if assignee else None,
        )

    def _by_id(self, table: str, ticket_bot_id: int) -> str:
        """The sys_id of the row ticketbot knows by ``ticket_bot_id`` (its first 15 hex)."""
        prefix = f"{ticket_bot_id:015x}"
        (sys_id,) = [
            row["sys_id"]
            for row in self.sandbox.store.rows(table)
            if row["sys_id"].startswith(prefix)
        ]
        return str(sys_id)

    def ids(self) -> list[int]:
        return [_digits(row["number"]) for row in self.sandbox.store.rows(TABLE)]

    def asked(self) -> list[ListedTicket]:
        return [
            ListedTicket(_digits(row["number"]), row["short_description"], row.get("caller_id", ""))
            for row in self.sandbox.store.rows(TABLE)
        ]

    def group(self, name: str) -> int:
        """A ``sys_user_group`` (the seed's Billing, Security, Technical and Shipping are
        there), its id as ticketbot's: its sys_id's first 15 hex digits."""
        store = self.sandbox.store
        found = [row for row in store.rows("sys_user_group") if row["name"] == name]
        sys_id = (
            found[0]["sys_id"]
            if found
            else store.insert("sys_user_group", {"name": name}, self._api_user)["sys_id"]
        )
        return int(sys_id[:15], 16)

    def delete_group(self, group_id: int) -> None:
        """The ``sys_user_group`` row deleted; an incident's ``assignment_group`` keeps the
        sys_id (a dangling reference, as an instance leaves it)."""
        self.sandbox.store.delete("sys_user_group", self._by_id("sys_user_group", group_id))

    def group_of(self, ticket_id: int) -> int | None:
        row = self.sandbox.store.find(TABLE, self._sys_id(ticket_id)) or {}
        sys_id = row.get("assignment_group") or ""
        return int(sys_id[:15], 16) if sys_id else None

    def held(self, ticket_id: int) -> dict[str, Any]:
        """The incident's row, its journal (comments and work notes) and its label entries."""
        store, sys_id = self.sandbox.store, self._sys_id(ticket_id)
        labels = [row for row in store.rows("label_entry") if row["table_key"] == sys_id]
        record = dict(store.find(TABLE, sys_id) or {})
        return {"record": record, "journal": store.journal(TABLE, sys_id), "labels": labels}

    def stats(self) -> dict[str, Any]:
        return self.sandbox.stats()

    def reset_stats(self) -> None:
        self.sandbox.sandbox.reset_stats()

    def history(self) -> list[tuple[float, str, int | None]]:
        return self.sandbox.sandbox.history()

    def faults(self) -> list[str]:
        return self.sandbox.config.faults

    def start_storm(self, seconds: float) -> None:
        self.sandbox.config.start_storm(seconds)

    def refuse_updates(self, ticket_ids: list[int]) -> None:
        self.sandbox.config.invalid_ticket_ids = list(ticket_ids)

    def requester_says(self, ticket_id: int, text: str) -> None:
        """A comment by the incident's caller, as the portal or an inbound mail adds one."""
        sys_id = self._sys_id(ticket_id)
        self.sandbox.store.update(TABLE, sys_id, {"comments": text}, self._caller(ticket_id))

    def agent_replies(self, ticket_id: int, text: str, *, author: int = HUMAN_AGENT_ID) -> None:
        """A comment by an agent: the human agent, or the API user for ``author`` 1 (an agent
        who shares ticketbot's login)."""
        user = self._api_user if author == 1 else HUMAN_AGENT_USER
        self.sandbox.store.update(TABLE, self._sys_id(ticket_id), {"comments": text}, user)

    def customer_tags(self, ticket_id: int, tag: str) -> bool:
        """The caller tags the record from the portal: the label entry is theirs."""
        add_label(self.sandbox.store, TABLE, self._sys_id(ticket_id), tag, self._caller(ticket_id))
        return True

    def agent_notes(self, ticket_id: int, text: str) -> None:
        sys_id = self._sys_id(ticket_id)
        self.sandbox.store.update(TABLE, sys_id, {"work_notes": text}, HUMAN_AGENT_USER)

    def agent_solves(self, ticket_id: int, *, tags: Sequence[str] | None = None) -> None:
        """The human agent resolves the incident (state 6, with the close code it needs), its
        labels first set to ``tags`` when given."""
        sys_id = self._sys_id(ticket_id)
        if tags is not None:
            set_labels(self.sandbox.store, TABLE, sys_id, tags, HUMAN_AGENT_USER)
        resolution = {"state": "6", "close_code": "Solution provided", "close_notes": "Solved"}
        self.sandbox.store.update(TABLE, sys_id, resolution, HUMAN_AGENT_USER)

    def agent_edit(self, ticket_id: int, tag: str, priority: str) -> None:
        """The human agent sets impact and urgency so the priority is ``priority``, and adds
        the label ``tag``."""
        sys_id = self._sys_id(ticket_id)
        impact, urgency = IMPACT_URGENCY[priority]
        store = self.sandbox.store
        store.update(TABLE, sys_id, {"impact": impact, "urgency": urgency}, HUMAN_AGENT_USER)
        add_label(store, TABLE, sys_id, tag, HUMAN_AGENT_USER)


def _digits(number: str) -> int:
    return int("".join(c for c in number if c.isdigit()))


@contextmanager
def serve(
    *,
    seed: int | None = 5,
    unlimited: bool = False,
    job_delay_ms: float = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[ServiceNowDesk]:
    """A fresh ServiceNow sandbox on port 0 as a desk (the options: ``desks.serve_desk``;
    ``unlimited`` and ``job_delay_ms`` change nothing: the sandbox has no rate limit rule
    unless given one, and ServiceNow no bulk jobs ticketbot uses)."""
    config = ServiceNowConfig(seed=seed, clock=clock)
    with serve_in_thread(config) as servicenow:
        yield ServiceNowDesk(servicenow)
