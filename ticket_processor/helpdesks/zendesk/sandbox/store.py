"""The sandbox's tickets behind one lock: the thread-safe API the endpoints call.

Every method takes the lock and works on one ``ticket_book.TicketBook`` (the tickets, comments,
users, ``directory`` and the write log, and the rules of writing them). Reads page by id
(``id_pages``) or in write order for the incremental export (``writelog.WriteLog``); batch
writes (``create_many``, ``update_many``) hold the lock for the whole batch and answer with
Zendesk's per-ticket job results. ``to_state`` / ``load_state`` turn the contents into
JSON-able data; ``persist.py`` writes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

from ....sandbox.httpbase import ApiError, not_found
from .directory import Directory
from .id_pages import page_after, page_before
from .records import iso, normalize_tags
from .ticket_book import AGENT_ID, TicketBook
from .ticket_events import TicketChange, with_imported_comments

__all__ = ["TicketStore"]


class TicketStore:
    """Tickets as Zendesk JSON, keyed by id; every method is thread-safe."""

    def __init__(
        self,
        *,
        base_url: str = "http://127.0.0.1",
        now: Callable[[], float] = time.time,
        agent_email: str = "agent@example.com",
    ) -> None:
        self.base_url = base_url
        self._now = now
        self._lock = threading.Lock()
        self.agent_email = agent_email
        self._book = TicketBook(base_url=base_url, now=now)
        # Ticket metrics the sandbox cannot derive from its own writes (a solved ticket
        # imported with its history): ticket id -> ``reopens`` (``outcomes_api``).
        self.reopens: dict[int, int] = {}

    def use_clock(self, now: Callable[[], float]) -> None:
        """Stamp tickets (created, updated) on this clock from now on: a test's fake one."""
        self._now = now
        self._book.use_clock(now)

    def watch(self, observer: Callable[[TicketChange], None]) -> None:
        """Hand every write to ``observer`` from now on, under the lock (it must only queue)."""
        with self._lock:
            self._book.observer = observer

    @property
    def directory(self) -> Directory:
        """Groups, agents and memberships (thread-safe on its own)."""
        return self._book.directory

    @property
    def writes(self) -> int:
        """Bumped on every change; the persister saves when it moves."""
        return self._book.writes

    @writes.setter
    def writes(self, value: int) -> None:
        self._book.writes = value

    # --- reading -------------------------------------------------------------

    def end_user(self, user_id: int) -> dict[str, Any] | None:
        """A requester the tickets made (id, email, name), or None."""
        with self._lock:
            return self._book.end_user(user_id)

    def get(self, ticket_id: int) -> dict[str, Any]:
        """The ticket's Zendesk JSON; ``KeyError`` when there is none."""
        with self._lock:
            return self._book.tickets[ticket_id]

    def find(self, ticket_id: int) -> dict[str, Any]:
        """Like ``get`` but raises the 404 ``ApiError``."""
        with self._lock:
            ticket = self._book.tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if ticket_id not in self._book.tickets:
                raise KeyError(ticket_id)
            return list(self._book.comments.get(ticket_id, ()))

    def rate(
        self, ticket_id: int, score: str, *, reopens: int = 0, comment: str | None = None
    ) -> dict[str, Any]:
        """A solved ticket's outcome: its satisfaction rating's score and reopen count. A
        rating the requester gives through the API (``comment`` given) is stamped now, as
        Zendesk stamps a rating; one seeded with the ticket takes the ticket's last update."""
        with self._lock:
            ticket = self._book.tickets[ticket_id]
            rating: dict[str, Any] = {"id": 100000 + ticket_id, "score": score, "comment": ""}
            if comment is not None:
                rating |= {"comment": comment, "created_at": iso(self._now())}
            offered = score in ("offered", "unoffered")
            ticket["satisfaction_rating"] = {"score": score} if offered else rating
            self.reopens[ticket_id] = reopens
            return ticket

    def all_tickets(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._book.tickets.values())

    def outbox(self) -> list[dict[str, Any]]:
        """What requesters would have received by mail (``GET /sandbox/outbox``)."""
        with self._lock:
            return self._book.outbox()

    def count(self) -> int:
        with self._lock:
            return len(self._book.tickets)

    def show_many(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        with self._lock:
            return [self._book.tickets[i] for i in ids if i in self._book.tickets]

    def page_after(self, after_id: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``size`` tickets with id > ``after_id`` in id order, and whether more follow."""
        with self._lock:
            return page_after(self._book.tickets, self._book.next_id - 1, after_id, size)

    def page_before(self, before_id: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``size`` tickets with id < ``before_id`` in id order, and whether more precede."""
        with self._lock:
            return page_before(self._book.tickets, self._book.next_id, before_id, size)

    def export_after(self, after_seq: int, per_page: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Tickets written after ``after_seq`` in write order: (tickets, last seq, at end)."""
        with self._lock:
            ids, last_seq, end = self._book.log.after(after_seq, per_page)
            return [self._book.tickets[i] for i in ids], last_seq, end

    def now(self) -> float:
        """The moment on the clock tickets and events are stamped on."""
        return self._now()

    def touch(self, ticket_id: int) -> None:
        """A new version of the ticket as it is: what a change of Zendesk's own engines (an SLA
        target's stage) rides on, a ticket update the incremental export lists again."""
        with self._lock:
            self._book._publish(dict(self._book.tickets[ticket_id]), self._now())

    def ticket_audits(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if ticket_id not in self._book.tickets:
                raise KeyError(ticket_id)
            audits = self._book.events.ticket_audits(ticket_id)
            comments = list(self._book.comments.get(ticket_id, ()))
        return with_imported_comments(audits, ticket_id, comments)

    def ticket_events(
        self, start: int, before: int, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` audit events stamped in ``[start, before)``, oldest first, and
        whether more of them follow."""
        with self._lock:
            return self._book.events.between(start, before, limit)

    def seq_before(self, start_time: float) -> int:
        """The sequence number just before the first write at or after ``start_time``."""
        with self._lock:
            return self._book.log.seq_before(start_time)

    # --- writing -------------------------------------------------------------

    def create(self, fields: dict[str, Any], author_id: int = AGENT_ID) -> dict[str, Any]:
        """Create one ticket (422 on invalid fields) and return it."""
        with self._lock:
            return self._book.create(fields, author_id)

    def create_many(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create tickets in one go; job results per Zendesk (``id``, ``index``) or failures."""
        results: list[dict[str, Any]] = []
        with self._lock:
            for index, fields in enumerate(items):
                try:
                    ticket = self._book.create(fields, AGENT_ID)
                except ApiError as exc:
                    results.append(_failure(None, index, "create", exc))
                else:
                    results.append({"id": ticket["id"], "index": index})
        return results

    def import_ticket(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The Ticket Import API's one ticket (``ticket_book.TicketBook.import_ticket``)."""
        with self._lock:
            return self._book.import_ticket(fields)

    def import_many(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Import tickets in one go; job results per ticket as ``create_many``'s."""
        results: list[dict[str, Any]] = []
        with self._lock:
            for index, fields in enumerate(items):
                try:
                    ticket = self._book.import_ticket(fields)
                except ApiError as exc:
                    results.append(_failure(None, index, "create", exc))
                else:
                    results.append({"id": ticket["id"], "index": index})
        return results

    def incidents_of(self, problem_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return self._book.incidents_of(problem_id)

    def merge(
        self, target_id: int, source_ids: list[int], target_comment: str, source_comment: str
    ) -> list[dict[str, Any]]:
        """Merge tickets into ``target_id`` (``ticket_book.TicketBook.merge``)."""
        with self._lock:
            return self._book.merge(target_id, source_ids, target_comment, source_comment)

    def update(
        self, ticket_id: int, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply one ticket update; returns (ticket, audit). 404, 409 and 422 as ``ApiError``."""
        with self._lock:
            return self._book.update(ticket_id, changes)

    def update_many(
        self,
        items: list[tuple[int, dict[str, Any]]],
        *,
        refuse: Collection[int] = (),
        refusal: ApiError | None = None,
    ) -> list[dict[str, Any]]:
        """Apply updates one by one; a failing ticket does not stop the others.

        Tickets in ``refuse`` fail with ``refusal`` (a 422 unless given) and stay unchanged.
        """
        results: list[dict[str, Any]] = []
        with self._lock:
            for ticket_id, changes in items:
                try:
                    if ticket_id in refuse:
                        raise refusal or ApiError(422, {"error": "RecordInvalid"})
                    self._book.update(ticket_id, changes)
                except ApiError as exc:
                    results.append(_failure(ticket_id, None, "update", exc))
                else:
                    results.append(
                        {"id": ticket_id, "action": "update", "success": True, "status": "Updated"}
                    )
        return results

    def change_tags(self, ticket_id: int, op: str, tags: object, body: dict[str, Any]) -> list[str]:
        """Tags endpoint: ``add`` (PUT), ``set`` (POST), ``remove`` (DELETE); safe update aware."""
        key = {"add": "additional_tags", "set": "tags", "remove": "remove_tags"}[op]
        changes = {key: normalize_tags(tags)}
        for name in ("safe_update", "updated_stamp"):
            if name in body:
                changes[name] = body[name]
        ticket, _ = self.update(ticket_id, changes)
        return list(ticket["tags"])

    def redact_comment(
        self, ticket_id: int, comment_id: int, redact: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """Redact one of a ticket's comments: ``redact`` changes the comment's texts in place
        and says whether it found anything to redact; then the same change is made to every
        copy the event log holds, a ``CommentRedactionEvent`` recorded, and the ticket's
        ``description`` follows its first comment. 404 for a comment the ticket lacks."""
        with self._lock:
            comments = self._book.comments.get(ticket_id, [])
            found = next((c for c in comments if c["id"] == comment_id), None)
            if ticket_id not in self._book.tickets or found is None:
                raise not_found()
            if redact(found):
                events = self._book.events
                events.record_redaction(
                    ticket_id, comment_id, redact, updater_id=AGENT_ID, now=self._now()
                )
                if comments[0] is found:
                    self._book.tickets[ticket_id]["description"] = found["body"]
                self._book.writes += 1
            return dict(found)

    # --- custom ticket fields -----------------------------------------------------

    def ticket_fields(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(f) for f in self._book.fields.listing()]

    def set_field_audience(self, field_id: int, *, visible: bool, editable: bool) -> None:
        """An admin's change of who among end users sees and edits the field."""
        with self._lock:
            field = self._book.fields.fields[field_id]
            field["visible_in_portal"], field["editable_in_portal"] = visible, editable
            self._book.writes += 1

    def delete_ticket_field_option(self, field_id: int, option_id: int) -> bool:
        with self._lock:
            return self._book.fields.delete_option(field_id, option_id)

    def create_ticket_field(self, spec: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            record = self._book.fields.create(spec, self._now(), self.base_url)
            self._book.writes += 1
            return dict(record)

    # --- persistence -----------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return self._book.to_state()

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the contents with a saved state (tickets re-pointed at this server's URL)."""
        with self._lock:
            self._book.load_state(state)


def _failure(
    ticket_id: int | None, index: int | None, action: str, exc: ApiError
) -> dict[str, Any]:
    """A failed entry of a job's results, shaped like the spec's ``FailedResult``."""
    details = exc.body.get("details")
    if isinstance(details, dict):
        text = "; ".join(d["description"] for v in details.values() for d in v)
    else:
        text = str(exc.body.get("description", ""))
    error = {404: "RecordNotFound", 409: "UpdateConflict"}.get(exc.status, "RecordInvalid")
    result: dict[str, Any] = {"action": action, "success": False, "error": error, "details": text}
    if ticket_id is not None:
        result["id"] = ticket_id
    if index is not None:
        result["index"] = index
    return result
