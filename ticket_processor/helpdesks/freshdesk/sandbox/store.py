"""The Freshdesk sandbox's tickets, requesters and conversations behind one lock.

Tickets are Freshdesk JSON keyed by id; ``updated_at`` is to the second, so lists sort by
``(updated_at, write order)`` to page stably. ``agent_edit`` is the concurrent edit of the fault
knobs: a person adds a tag in the web UI. ``to_state`` / ``load_state`` (with the directory's)
are what ``--state FILE`` keeps. Each creation and conversation is also handed to the
``observer`` (the webhook rules, ``automation.py``) under the lock: the observer only queues.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ....sandbox.desks import HUMAN_AGENT_ID
from .canned import CannedResponses
from .config import invalid_value, not_found
from .directory import FreshdeskDirectory
from .records import (
    SOURCE_NOTE,
    SOURCE_REPLY,
    apply_update,
    check_fields,
    iso,
    new_ticket,
    note_record,
)
from .solutions import Solutions
from .ticket_fields import TicketFields

SANDBOX_AGENT_ID = 1
TRACKER, RELATED = 3, 4  # ``association_type``: 1 parent, 2 child, 3 tracker, 4 related
_STATE_VERSION = 1
# What the observer gets: the event ("created" or "note"), the ticket, the note, whether the
# note's author is an agent.
Observer = Callable[[str, dict[str, Any], dict[str, Any] | None, bool], None]


class FreshdeskStore:
    """Tickets, requesters, notes, plus the ``FreshdeskDirectory`` (groups, agents, solutions)."""

    def __init__(self, *, now: Callable[[], float], agent_email: str = "agent@example.com") -> None:
        self._now = now
        self._lock = threading.Lock()
        self.writes = 0  # bumped on every change; the persister saves when it moves
        self.directory = FreshdeskDirectory(now=now, on_write=self._bump, agent_email=agent_email)
        self.solutions = Solutions(now=now, on_write=self._bump)
        self.canned = CannedResponses(now=now, on_write=self._bump)
        self.fields = TicketFields(now=now, on_write=self._bump)
        self.observer: Observer | None = None
        self._reset()

    def _reset(self) -> None:
        self._tickets: dict[int, dict[str, Any]] = {}
        self.ratings: list[dict[str, Any]] = []  # the customers' survey answers (``rate``)
        self._order: dict[int, int] = {}  # write order, the tie-break within a second
        self._notes: dict[int, list[dict[str, Any]]] = {}
        self._requesters: dict[str, int] = {}
        self._contacts: dict[int, dict[str, Any]] = {}  # id -> name, email (GET /contacts/{id})
        self._next_id = 1
        self._next_note = 1
        self._next_requester = 5000
        self._seq = 0

    def watch(self, observer: Observer) -> None:
        """Hand every creation and conversation to ``observer`` from now on."""
        with self._lock:
            self.observer = observer

    def now(self) -> float:
        return self._now()

    def is_agent(self, user_id: int) -> bool:
        """The API user, the desk's human agent and the directory's agents are agents."""
        return user_id in (SANDBOX_AGENT_ID, HUMAN_AGENT_ID) or self.directory.agent_exists(user_id)

    def _bump(self) -> None:
        self.writes += 1

    def _touch(self, ticket: dict[str, Any]) -> None:
        self._seq += 1
        self._order[ticket["id"]] = self._seq
        self._tickets[ticket["id"]] = ticket
        self.writes += 1

    def set_engine_fields(self, ticket_id: int, fields: dict[str, Any]) -> None:
        """What Freshdesk's own engines set on a ticket (SLA due times, escalation flags)."""
        with self._lock:
            self._tickets[ticket_id] = {**self._tickets[ticket_id], **fields}

    # --- reading ----------------------------------------------------------------------

    def find(self, ticket_id: int) -> dict[str, Any]:
        with self._lock:
            ticket = self._tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def all_tickets(self, *, trash: bool = False) -> list[dict[str, Any]]:
        """Every ticket, oldest write first: those not in the trash, or (``trash``) those in it."""
        with self._lock:
            kept = (t for t in self._tickets.values() if bool(t.get("deleted")) == trash)
            return sorted(kept, key=lambda t: self._order[t["id"]])

    def mark_spam(self, ticket_id: int) -> dict[str, Any]:
        """What an agent's "Mark as spam" does: ``spam: true`` on the ticket, which the ticket
        list then leaves out unless asked for ``filter=spam``."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                raise not_found()
            ticket.update(spam=True, updated_at=iso(self._now()))
            return ticket

    def rate(self, ticket_id: int, rating: int | None, *, escalated: bool = False) -> None:
        """A resolved ticket's outcome: its customer's survey answer (Freshdesk's scale, 103
        extremely happy ... 100 neutral ... -103 extremely unhappy; None: not answered) and
        whether it was escalated (``is_escalated``)."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                raise not_found()
            ticket["is_escalated"] = escalated
            if rating is not None:
                self.ratings.append(
                    {
                        "id": 1000 + len(self.ratings) + 1,
                        "survey_id": 1,
                        "user_id": ticket.get("requester_id"),
                        "agent_id": ticket.get("responder_id"),
                        "group_id": ticket.get("group_id"),
                        "ticket_id": ticket_id,
                        "feedback": "",
                        "ratings": {"default_question": rating},
                        "created_at": ticket["updated_at"],
                        "updated_at": ticket["updated_at"],
                    }
                )

    def satisfaction_ratings(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.ratings)

    def write_order(self, ticket_id: int) -> int:
        with self._lock:
            return self._order.get(ticket_id, 0)

    def count(self) -> int:
        with self._lock:
            return len(self._tickets)

    def conversations(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if ticket_id not in self._tickets:
                raise not_found()
            return list(self._notes.get(ticket_id, ()))

    # --- writing ----------------------------------------------------------------------

    def _check(self, fields: dict[str, Any], *, creating: bool, group: int | None = None) -> None:
        self.fields.check(fields.get("custom_fields"))
        check_fields(
            fields,
            creating=creating,
            group_members=self.directory.group_members,
            agent_exists=self.directory.agent_exists,
            current_group=group,
        )

    def check_properties(self, properties: dict[str, Any]) -> None:
        """Freshdesk's 400 for properties no ticket could take (a bulk update's, up front)."""
        self._check(properties, creating=False)

    def create(self, fields: dict[str, Any]) -> dict[str, Any]:
        self._check(fields, creating=True)
        related = fields.get("related_ticket_ids")
        if related is not None:
            return self._create_tracker(fields, related)
        with self._lock:
            requester = fields.get("requester_id")
            if not isinstance(requester, int):
                key = str(
                    fields.get("email")
                    or fields.get("phone")
                    or fields.get("unique_external_id")
                    or ""
                )
                requester = self._requesters.get(key)
                if requester is None:
                    requester = self._requesters[key] = self._next_requester
                    self._next_requester += 1
                    name = fields.get("name") or key or "Customer"
                    self._contacts[requester] = {"name": str(name), "email": fields.get("email")}
            ticket = new_ticket(self._next_id, fields, requester, self._now())
            self._next_id += 1
            self._touch(ticket)
            if self.observer is not None:
                self.observer("created", ticket, None, False)
            return ticket

    def import_answered(
        self,
        fields: dict[str, Any],
        replies: list[tuple[str, float]],
        *,
        created: float,
        solved: float,
    ) -> dict[str, Any]:
        """A resolved ticket of a team's history with its agent's public replies, dated
        (Freshdesk's API cannot back-date: this is the sandbox's side door, as a migration
        tool's import would leave the account): created at ``created``, each reply an
        outgoing public reply by the desk's human agent at its moment, resolved at
        ``solved``."""
        ticket = self.create({**fields, "status": 4})
        with self._lock:
            notes = self._notes.setdefault(ticket["id"], [])
            for body, moment in replies:
                notes.append(
                    note_record(
                        self._next_note,
                        ticket["id"],
                        body,
                        private=False,
                        user_id=HUMAN_AGENT_ID,
                        now=moment,
                        source=SOURCE_REPLY,
                    )
                )
                self._next_note += 1
            dated = {**self._tickets[ticket["id"]], "created_at": iso(created)}
            dated["updated_at"] = iso(solved)
            self._touch(dated)
            return dated

    def contact(self, contact_id: int) -> dict[str, Any]:
        """``GET /api/v2/contacts/{id}``: a requester the tickets made (404 for anyone else),
        with its ``language`` (the account's default, ``en``, unless set)."""
        with self._lock:
            found = self._contacts.get(contact_id)
            if found is None:
                raise not_found()
            return {"id": contact_id, "active": False, "language": "en", **found}

    def set_contact_language(self, contact_id: int, language: str) -> None:
        """The contact's own language, as an agent sets it on the contact's page."""
        with self._lock:
            self._contacts[contact_id] = {**self._contacts[contact_id], "language": language}

    def update(self, ticket_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        current = self.find(ticket_id)
        self._check(changes, creating=False, group=current["group_id"])
        changes = dict(changes)
        tracker_id = changes.pop("tracker_id", None)
        with self._lock:
            if tracker_id is not None:
                self._link(ticket_id, tracker_id)
            ticket = apply_update(self._tickets[ticket_id], changes, self._now())
            self._touch(ticket)
            return ticket

    # --- trackers, merges, deletion: many tickets about one thing ----------------------------

    def _create_tracker(self, fields: dict[str, Any], related: list[Any]) -> dict[str, Any]:
        """``POST /tickets`` with ``related_ticket_ids``: a tracker ticket linking them (each
        must exist and be linked to no other tracker, else Freshdesk's 400)."""
        if not related or not all(isinstance(i, int) for i in related):
            raise invalid_value(
                "related_ticket_ids", "It should be a/an Array of Positive Integers"
            )
        with self._lock:
            for tid in related:
                if tid not in self._tickets or self._tickets[tid].get("association_type"):
                    raise invalid_value("related_ticket_ids", f"Ticket {tid} cannot be linked")
        ticket = self.create({k: v for k, v in fields.items() if k != "related_ticket_ids"})
        with self._lock:
            tracker = {**ticket, "association_type": TRACKER, "associated_tickets_list": []}
            self._tickets[tracker["id"]] = tracker
            for tid in related:
                self._link(tid, tracker["id"])
            return self._tickets[tracker["id"]]

    def _link(self, ticket_id: int, tracker_id: int) -> None:
        """Link a ticket to a tracker (under the lock): the ticket becomes ``related``."""
        tracker = self._tickets.get(tracker_id)
        if tracker is None or tracker.get("association_type") != TRACKER:
            raise invalid_value("tracker_id", "There is no tracker matching the given tracker_id")
        ticket = self._tickets[ticket_id]
        if ticket.get("association_type") not in (None, RELATED) or ticket_id == tracker_id:
            raise invalid_value("tracker_id", "The ticket cannot be linked to a tracker")
        members = [*tracker.get("associated_tickets_list", []), ticket_id]
        self._touch(
            {
                **tracker,
                "associated_tickets_list": list(dict.fromkeys(members)),
                "associated_tickets_count": len(set(members)),
            }
        )
        self._touch(
            {
                **ticket,
                "association_type": RELATED,
                "associated_tickets_list": [tracker_id],
                "associated_tickets_count": 1,
            }
        )

    def delete(self, ticket_id: int) -> None:
        """``DELETE /tickets/{id}``: the ticket goes to the trash (``deleted``, out of lists);
        a deleted tracker's tickets are related to nothing any more."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None or ticket.get("deleted"):
                raise not_found()
            if ticket.get("association_type") == TRACKER:
                for tid in ticket.get("associated_tickets_list", []):
                    member = self._tickets.get(tid)
                    if member is not None:
                        self._touch(
                            {
                                **member,
                                "association_type": None,
                                "associated_tickets_list": [],
                                "associated_tickets_count": None,
                            }
                        )
            self._touch({**ticket, "deleted": True, "updated_at": iso(self._now())})

    def merge(
        self, primary_id: int, ids: list[int], primary_note: str, secondary_note: str
    ) -> None:
        """``PUT /tickets/merge``: each secondary ticket gets a private note and is closed; the
        primary gets one note naming them."""
        primary = self.find(primary_id)
        if primary["status"] == 5 or primary_id in ids:
            raise invalid_value("primary_id", "The primary ticket cannot be merged into")
        for tid in ids:
            self.find(tid)
        for tid in ids:
            text = secondary_note or f"This ticket was merged into ticket #{primary_id}"
            self.add_note(tid, text, private=True, user_id=SANDBOX_AGENT_ID)
            self.update(tid, {"status": 5})
        listed = ", ".join(f"#{i}" for i in ids)
        text = primary_note or f"Tickets {listed} were merged into this ticket"
        self.add_note(primary_id, text, private=True, user_id=SANDBOX_AGENT_ID)

    def agent_edit(
        self, ticket_id: int, tag: str, priority: int | None = None
    ) -> dict[str, Any] | None:
        """A person adds ``tag`` to the ticket (the concurrent edit), and sets ``priority``
        when given; None if there is no such ticket."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                return None
            tags = ticket["tags"] if tag in ticket["tags"] else [*ticket["tags"], tag]
            changes: dict[str, Any] = {"tags": tags}
            if priority is not None:
                changes["priority"] = priority
            ticket = apply_update(ticket, changes, self._now())
            self._touch(ticket)
            return ticket

    def add_note(
        self,
        ticket_id: int,
        body: str,
        *,
        private: bool,
        user_id: int,
        incoming: bool = False,
        source: int = SOURCE_NOTE,
        **emails: Any,
    ) -> dict[str, Any]:
        """A conversation on the ticket: a note, or (``source`` 0) a reply; ``emails`` fill
        ``from_email``, ``to_emails``, ``cc_emails``, ``bcc_emails``."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
            if ticket is None:
                raise not_found()
            now = self._now()
            note = note_record(
                self._next_note,
                ticket_id,
                body,
                private=private,
                user_id=user_id,
                now=now,
                incoming=incoming,
                source=source,
            )
            note.update(emails)
            self._next_note += 1
            self._notes.setdefault(ticket_id, []).append(note)
            # A conversation is activity on the ticket: it moves the ticket's updated_at. The
            # requester's own message re-opens a pending ticket, as Freshdesk does.
            changes: dict[str, Any] = {}
            if incoming and user_id == ticket.get("requester_id") and ticket["status"] == 3:
                changes["status"] = 2
            self._touch(apply_update(ticket, changes, now))
            if self.observer is not None:
                self.observer("note", ticket, note, self.is_agent(user_id))
            return note

    def outbox(self) -> list[dict[str, Any]]:
        """What requesters would have received by mail (``GET /sandbox/outbox``): every public
        reply an agent or the API user wrote, oldest first."""
        with self._lock:
            mails = []
            for ticket_id, notes in sorted(self._notes.items()):
                requester = self._tickets[ticket_id].get("requester_id")
                for note in notes:
                    if note.get("private") or note.get("incoming") or note["user_id"] == requester:
                        continue
                    mails.append(
                        {
                            "ticket_id": ticket_id,
                            "to_requester_id": requester,
                            "author_id": note["user_id"],
                            "comment_id": note["id"],
                            "body": note.get("body_text") or note.get("body", ""),
                            "created_at": note.get("created_at"),
                        }
                    )
            return mails

    def delete_note(self, note_id: int) -> None:
        """Remove a note (``DELETE /conversations/{id}``); ``not_found`` when there is none."""
        with self._lock:
            for notes in self._notes.values():
                for index, note in enumerate(notes):
                    if note.get("id") == note_id:
                        del notes[index]
                        return
        raise not_found()

    def bulk_update(
        self, ids: list[int], properties: dict[str, Any], refuse: set[int]
    ) -> list[dict[str, Any]]:
        """Apply the same properties to each ticket; one result per id, as the job reports it."""
        results: list[dict[str, Any]] = []
        for ticket_id in ids:
            try:
                if ticket_id in refuse:
                    raise invalid_value("custom_fields", "Product is mandatory")
                self.update(ticket_id, properties)
            except Exception as exc:  # noqa: BLE001 - reported per ticket, as Freshdesk does
                body = getattr(exc, "body", {}) or {}
                results.append(
                    {
                        "id": ticket_id,
                        "success": False,
                        "errors": body.get("errors", [{"message": "Record not found"}]),
                    }
                )
            else:
                results.append({"id": ticket_id, "success": True})
        return results

    # --- state file -------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "version": _STATE_VERSION,
                "helpdesk": "freshdesk",
                "tickets": sorted(self._tickets.values(), key=lambda t: self._order[t["id"]]),
                "notes": {str(k): v for k, v in self._notes.items()},
                "requesters": self._requesters,
                "contacts": {str(k): v for k, v in self._contacts.items()},
                "next_id": self._next_id,
                "next_note": self._next_note,
                "next_requester": self._next_requester,
                "directory": self.directory.to_state(),
                "solutions": self.solutions.to_state(),
                "canned_responses": self.canned.to_state(),
                "ticket_fields": self.fields.to_state(),
            }

    def load_state(self, state: dict[str, Any]) -> None:
        if state.get("helpdesk") != "freshdesk" or state.get("version") != _STATE_VERSION:
            raise ValueError("the state file is not a Freshdesk sandbox state (version 1)")
        with self._lock:
            self._reset()
            for ticket in state["tickets"]:
                self._touch(ticket)
            self._notes = {int(k): v for k, v in state["notes"].items()}
            self._requesters = dict(state["requesters"])
            self._contacts = {int(k): v for k, v in state.get("contacts", {}).items()}
            self._next_id = int(state["next_id"])
            self._next_note = int(state["next_note"])
            self._next_requester = int(state["next_requester"])
        self.directory.load_state(state["directory"])
        self.solutions.load_state(state["solutions"])
        self.canned.load_state(state.get("canned_responses"))
        self.fields.load_state(state.get("ticket_fields", {}))
