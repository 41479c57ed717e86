"""The sandbox's ticket data and the rules of writing it, without a lock.

``store.TicketStore`` holds one ``TicketBook`` and calls it under its lock. The book keeps the
tickets (Zendesk JSON by id), their comments, the requesters (``requesters.Requesters``), the
groups and agents (``directory.Directory``), the write log (``writelog.WriteLog``) and every
write's audit event (``ticket_events.TicketEventLog``, for the ticket event export). A
create validates the fields and needs a description; an update honours ``safe_update`` (409 on
a stale ``updated_stamp``) and the directory's assignment rule, and answers with its audit.
``updated_at`` is to the second like Zendesk's, but a ticket written twice in one second gets
the next second the second time, so a stale ``updated_stamp`` is always detected by exact
comparison. ``to_state`` / ``load_state`` turn the contents into JSON-able data. Every write is
also handed to the ``observer`` (the webhooks' triggers) as a ``TicketChange``, under the
store's lock: the observer only queues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ....sandbox.desks import HUMAN_AGENT_ID
from ....sandbox.httpbase import ApiError, not_found
from .config import record_invalid
from .directory import Directory
from .records import (
    apply_changes,
    audit_events,
    comment_record,
    iso,
    new_ticket,
    parse_iso,
    validate_fields,
    via_of,
)
from .requesters import Requesters
from .ticket_events import TicketChange, TicketEventLog
from .ticket_fields import FieldBook
from .writelog import WriteLog

AGENT_ID = 1


def _moment(value: object, name: str, default: float) -> float:
    """A timestamp the import API was given (ISO 8601), ``default`` when absent, else 422."""
    if value is None:
        return default
    moment = parse_iso(str(value))
    if moment is None:
        raise record_invalid({name: [{"description": f"{name}: is invalid", "error": "Invalid"}]})
    return moment


STATE_VERSION = 1


def _conflict() -> ApiError:
    return ApiError(
        409,
        {
            "error": "UpdateConflict",
            "description": "Safe Update prevented the update due to outdated ticket data. "
            "Please fetch the latest ticket data and try again.",
        },
    )


class TicketBook:
    """Tickets, comments, users and the write log; not thread-safe (``TicketStore`` is)."""

    def __init__(self, *, base_url: str, now: Callable[[], float]) -> None:
        self.base_url = base_url
        self._now = now
        self.writes = 0  # bumped on every change; the persister saves when it moves
        self.observer: Callable[[TicketChange], None] | None = None
        self._reset()

    def use_clock(self, now: Callable[[], float]) -> None:
        self._now = now

    def _reset(self) -> None:
        self.directory = Directory(self._now)  # groups, agents: checked on every update
        self.fields = FieldBook()  # custom ticket fields (drop-downs move their tags)
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self._requesters = Requesters()
        self.log = WriteLog()
        self.events = TicketEventLog()  # one audit a write, for the ticket event export
        # A macro's title by its id (the store's macros, when it has them): what an update's
        # ``macro_ids`` are recorded with.
        self.macro_title: Callable[[int], str | None] = lambda macro_id: None
        self.next_id = 1
        self._next_comment_id = 1

    def create(self, fields: dict[str, Any], author_id: int) -> dict[str, Any]:
        validate_fields(fields)
        now = self._now()
        comment_spec = fields.get("comment")
        if comment_spec is None and "description" in fields:
            comment_spec = {"body": fields["description"]}
        if comment_spec is None:
            blank = {"description": "Description: cannot be blank", "error": "BlankValue"}
            raise record_invalid({"base": [blank]})
        requester_id = self._requesters.resolve(fields, author_id)
        ticket_id = self.next_id
        self.next_id += 1
        comment = comment_record(self._next_comment_id, comment_spec, requester_id, now)
        self._next_comment_id += 1
        ticket = new_ticket(
            ticket_id,
            fields,
            base_url=self.base_url,
            requester_id=requester_id,
            submitter_id=author_id,
            description=comment["body"],
            now=now,
            via=via_of(fields, self._requesters.by_id(requester_id)),
        )
        ticket["email_cc_ids"] = self._email_ccs(fields)
        self.fields.apply({"tags": [], "custom_fields": self.fields.blank()}, ticket, fields)
        self._check_problem(ticket)
        self._publish(ticket, now, created=True)
        self.comments[ticket_id] = [comment]
        self.events.record(None, ticket, comment, updater_id=author_id, now=now)
        self._observe(None, ticket, comment, author_id)
        return ticket

    def macro_titles(self, raw: object) -> list[tuple[int, str]]:
        """An update's ``macro_ids`` that name a macro of the account, with their titles."""
        if not isinstance(raw, list):
            return []
        found = [(i, self.macro_title(i)) for i in raw if isinstance(i, int)]
        return [(i, title) for i, title in found if title is not None]

    def update(
        self, ticket_id: int, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        current = self.tickets.get(ticket_id)
        if current is None:
            raise not_found()
        if "safe_update" in changes and changes.get("updated_stamp") is not None:
            stamp = parse_iso(str(changes["updated_stamp"]))
            if stamp is None or stamp != parse_iso(current["updated_at"]):
                raise _conflict()
        self.directory.check_assignment(current, changes)
        after = apply_changes(current, changes)
        self.fields.apply(current, after, changes)
        self._check_problem(after)
        now = self._now()
        comment = None
        spec = changes.get("comment")
        if spec:
            comment = comment_record(self._next_comment_id, spec, AGENT_ID, now)
            # Zendesk re-opens a pending ticket when its requester comments.
            by_requester = comment["author_id"] == current.get("requester_id")
            reopens = current["status"] == "pending" and "status" not in changes
            if by_requester and comment["public"] and reopens:
                after["status"] = "open"
            self._next_comment_id += 1
            self.comments[ticket_id] = [*self.comments.get(ticket_id, ()), comment]
        self._publish(after, now)
        updater = comment["author_id"] if comment is not None else AGENT_ID
        applied = tuple(self.macro_titles(changes.get("macro_ids")))
        self.events.record(current, after, comment, updater_id=updater, now=now, macros=applied)
        self._observe(current, after, comment, updater)
        audit = {
            "id": self.log.seq,
            "ticket_id": ticket_id,
            "created_at": after["updated_at"],
            "author_id": AGENT_ID,
            "via": after["via"],
            "metadata": {},
            "events": audit_events(current, after, comment),
        }
        return after, audit

    def _observe(
        self,
        before: dict[str, Any] | None,
        after: dict[str, Any],
        comment: dict[str, Any] | None,
        updater: int,
    ) -> None:
        if self.observer is not None:
            self.observer(TicketChange(before, after, comment, self.role_of(updater)))

    def _email_ccs(self, fields: dict[str, Any]) -> list[int]:
        """``email_ccs`` (``[{"user_email", "user_name"}]``) as end users' ids, made on first
        sight as requesters are."""
        found: list[int] = []
        for cc in fields.get("email_ccs") or []:
            if isinstance(cc, dict) and cc.get("user_email"):
                who = {"email": cc["user_email"], "name": cc.get("user_name")}
                found.append(self._requesters.resolve({"requester": who}, 0))
        return found

    def end_user(self, user_id: int) -> dict[str, Any] | None:
        """A requester made from a ticket's ``requester`` (id, email, name), or None."""
        found = self._requesters.by_id(user_id)
        return dict(found) if found is not None else None

    def role_of(self, user_id: int) -> str:
        """``agent`` for the API user, the desk's human agent and the directory's agents;
        ``end_user`` for everyone else (the requesters)."""
        staff = user_id in (AGENT_ID, HUMAN_AGENT_ID) or user_id in self.directory.agents
        return "agent" if staff else "end_user"

    def outbox(self) -> list[dict[str, Any]]:
        """What requesters would have received by mail: every public comment after a ticket's
        first one that its requester did not write, oldest first."""
        mails = []
        for ticket_id, comments in sorted(self.comments.items()):
            requester = self.tickets[ticket_id].get("requester_id")
            for comment in comments[1:]:
                if comment["public"] and comment["author_id"] != requester:
                    mails.append(
                        {
                            "ticket_id": ticket_id,
                            "to_requester_id": requester,
                            "author_id": comment["author_id"],
                            "comment_id": comment["id"],
                            "body": comment["body"],
                            "created_at": comment["created_at"],
                        }
                    )
        return mails

    def _check_problem(self, ticket: dict[str, Any]) -> None:
        """An incident's ``problem_id`` names another ticket of type problem (else 422, as
        Zendesk answers); that problem then shows ``has_incidents``."""
        problem_id = ticket.get("problem_id")
        if problem_id is None:
            return
        problem = self.tickets.get(problem_id) if isinstance(problem_id, int) else None
        if problem is None or problem_id == ticket["id"] or problem.get("type") != "problem":
            raise record_invalid(
                {"problem_id": [{"description": "Problem: is invalid", "error": "InvalidValue"}]}
            )
        if not problem.get("has_incidents"):
            self.tickets[problem_id] = {**problem, "has_incidents": True}

    def incidents_of(self, problem_id: int) -> list[dict[str, Any]]:
        """The incidents linked to a problem, in id order (404 when there is no such ticket)."""
        if problem_id not in self.tickets:
            raise not_found()
        return [t for t in self.tickets.values() if t.get("problem_id") == problem_id]

    def import_ticket(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The Ticket Import API: a ticket with its own ``created_at``, ``updated_at``,
        ``status`` and comments (each with its ``created_at``), no triggers run. Its place in
        the incremental export is the moment of the import, whatever its ``created_at``, as
        Zendesk's is: the write log is stamped now."""
        raw_comments = fields.get("comments")
        if not isinstance(raw_comments, list) or not raw_comments:
            if "description" not in fields:
                blank = {"description": "Comments: cannot be blank", "error": "BlankValue"}
                raise record_invalid({"base": [blank]})
            raw_comments = [{"value": fields["description"]}]
        if not all(isinstance(c, dict) for c in raw_comments):
            raise record_invalid({"comments": [{"description": "is invalid", "error": "Invalid"}]})
        validate_fields(fields)
        now = self._now()
        created = _moment(fields.get("created_at"), "created_at", now)
        updated = _moment(fields.get("updated_at"), "updated_at", created)
        requester_id = self._requesters.resolve(fields, AGENT_ID)
        comments = []
        for spec in raw_comments:
            body = spec.get("value", spec.get("body", spec.get("html_body", "")))
            author = spec.get("author_id", requester_id)
            moment = _moment(spec.get("created_at"), "created_at", created)
            record = comment_record(
                self._next_comment_id, {**spec, "body": body}, int(author), moment
            )
            self._next_comment_id += 1
            comments.append(record)
        ticket_id = self.next_id
        self.next_id += 1
        given = {k: v for k, v in fields.items() if k not in ("comments", "comment")}
        ticket = new_ticket(
            ticket_id,
            given,
            base_url=self.base_url,
            requester_id=requester_id,
            submitter_id=requester_id,
            description=comments[0]["body"],
            now=created,
        )
        ticket["updated_at"] = iso(max(updated, created))
        ticket["generated_timestamp"] = int(now)
        self.fields.apply({"tags": [], "custom_fields": self.fields.blank()}, ticket, given)
        self._check_problem(ticket)
        self._publish(ticket, now, created=True)
        self.comments[ticket_id] = comments
        self.events.record(None, ticket, comments[0], updater_id=requester_id, now=now)
        return ticket

    def merge(
        self, target_id: int, source_ids: list[int], target_comment: str, source_comment: str
    ) -> list[dict[str, Any]]:
        """Merge ``source_ids`` into ``target_id`` as Zendesk does: each source gets a comment
        and is closed; the target gets one comment naming them. A closed ticket cannot take
        part (422). Results per source, for the job status."""
        target = self.tickets.get(target_id)
        if target is None:
            raise not_found()
        if target["status"] == "closed" or target_id in source_ids:
            raise record_invalid(
                {"base": [{"description": "Merge: is invalid", "error": "Invalid"}]}
            )
        results: list[dict[str, Any]] = []
        merged: list[int] = []
        for source_id in source_ids:
            source = self.tickets.get(source_id)
            if source is None or source["status"] == "closed":
                results.append(
                    {
                        "id": source_id,
                        "action": "merge",
                        "success": False,
                        "error": "RecordInvalid",
                        "details": "cannot be merged",
                    }
                )
                continue
            text = (
                source_comment or f"Request #{source_id} was closed and merged into #{target_id}."
            )
            self.update(source_id, {"status": "closed", "comment": {"body": text, "public": False}})
            merged.append(source_id)
            results.append(
                {"id": source_id, "action": "merge", "success": True, "status": "Merged"}
            )
        if merged:
            listed = ", ".join(f"#{i}" for i in merged)
            text = target_comment or f"Requests {listed} were closed and merged into this request."
            self.update(target_id, {"comment": {"body": text, "public": False}})
        return results

    def _publish(self, ticket: dict[str, Any], now: float, *, created: bool = False) -> None:
        """Stamp a new version of ``ticket`` and make it the current one."""
        tid = ticket["id"]
        wall = max(now, self.log.last_wall)
        if not created:
            previous = parse_iso(self.tickets[tid]["updated_at"]) or 0.0
            stamp_ts = max(float(int(now)), previous + 1.0)
            ticket["updated_at"] = iso(stamp_ts)
            ticket["generated_timestamp"] = int(stamp_ts)
        self.log.record(tid, wall)
        self.tickets[tid] = ticket
        self.writes += 1
        if len(self.log) > 2 * len(self.tickets) + 1024:
            self.log.compact()

    def to_state(self) -> dict[str, Any]:
        order, walls = self.log.current_order()
        return {
            "version": STATE_VERSION,
            "next_id": self.next_id,
            "next_comment_id": self._next_comment_id,
            "next_user_id": self._requesters.next_id,
            "tickets": [self.tickets[i] for i in order],
            "walls": walls,
            "comments": {str(k): v for k, v in self.comments.items()},
            "users": self._requesters.to_state(),
            "directory": self.directory.to_state(),
            "ticket_fields": self.fields.to_state(),
            "ticket_events": self.events.to_state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the contents with a saved state (tickets re-pointed at this server's URL)."""
        self._reset()
        self.next_id = int(state["next_id"])
        self._next_comment_id = int(state["next_comment_id"])
        next_user_id = int(state.get("next_user_id", 1000))
        self._requesters.load_state(state.get("users", []), next_user_id)
        self.directory.load_state(state.get("directory", {}))
        self.fields.load_state(state.get("ticket_fields", {}))
        self.events.load_state(state.get("ticket_events", {}))
        for ticket, wall in zip(state["tickets"], state["walls"], strict=True):
            tid = int(ticket["id"])
            ticket["url"] = f"{self.base_url}/api/v2/tickets/{tid}.json"
            self.log.record(tid, float(wall))
            self.tickets[tid] = ticket
        self.comments = {int(k): v for k, v in state["comments"].items()}
