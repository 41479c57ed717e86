"""The sandbox's tickets, comments and users behind one lock, and their file persistence.

Tickets live in a dict keyed by id. Every write gets a global, strictly increasing sequence
number and an entry in a write log, which is what the incremental export pages through (a
ticket written again appears again later; its older log entries are skipped). ``updated_at``
is to the second like Zendesk's, but a ticket written twice in one second gets the next
second the second time, so a stale ``updated_stamp`` is always detected by exact comparison.

``to_state`` / ``load_state`` turn the contents into JSON-able data; ``persist.py`` writes it.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

from .config import ApiError, not_found
from .records import (
    apply_changes,
    audit_events,
    comment_record,
    iso,
    new_ticket,
    normalize_tags,
    parse_iso,
    validate_fields,
)

AGENT_ID = 1
_STATE_VERSION = 1


def _conflict() -> ApiError:
    return ApiError(
        409,
        {
            "error": "UpdateConflict",
            "description": "Safe Update prevented the update due to outdated ticket data. "
            "Please fetch the latest ticket data and try again.",
        },
    )


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
        self.writes = 0  # bumped on every change; the persister saves when it moves
        self._reset()

    def _reset(self) -> None:
        self._tickets: dict[int, dict[str, Any]] = {}
        self._comments: dict[int, list[dict[str, Any]]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._seq_of: dict[int, int] = {}
        self._log_seq: list[int] = []
        self._log_id: list[int] = []
        self._log_wall: list[float] = []
        self._next_id = 1
        self._next_comment_id = 1
        self._next_user_id = 1000
        self._seq = 0
        self._last_wall = 0.0

    # --- reading -------------------------------------------------------------

    def get(self, ticket_id: int) -> dict[str, Any]:
        """The ticket's Zendesk JSON; ``KeyError`` when there is none."""
        with self._lock:
            return self._tickets[ticket_id]

    def find(self, ticket_id: int) -> dict[str, Any]:
        """Like ``get`` but raises the 404 ``ApiError``."""
        with self._lock:
            ticket = self._tickets.get(ticket_id)
        if ticket is None:
            raise not_found()
        return ticket

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        with self._lock:
            if ticket_id not in self._tickets:
                raise KeyError(ticket_id)
            return list(self._comments.get(ticket_id, ()))

    def all_tickets(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._tickets.values())

    def count(self) -> int:
        with self._lock:
            return len(self._tickets)

    def show_many(self, ids: Iterable[int]) -> list[dict[str, Any]]:
        with self._lock:
            return [self._tickets[i] for i in ids if i in self._tickets]

    def page_after(self, after_id: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``size`` tickets with id > ``after_id`` in id order, and whether more follow."""
        out: list[dict[str, Any]] = []
        with self._lock:
            last = self._next_id - 1
            tid = after_id + 1
            while tid <= last and len(out) < size:
                ticket = self._tickets.get(tid)
                if ticket is not None:
                    out.append(ticket)
                tid += 1
            more = any(i in self._tickets for i in range(tid, last + 1)) if out else False
        return out, more

    def page_before(self, before_id: int, size: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``size`` tickets with id < ``before_id`` in id order, and whether more precede."""
        out: list[dict[str, Any]] = []
        with self._lock:
            tid = min(before_id, self._next_id) - 1
            while tid >= 1 and len(out) < size:
                ticket = self._tickets.get(tid)
                if ticket is not None:
                    out.append(ticket)
                tid -= 1
            more = any(i in self._tickets for i in range(tid, 0, -1)) if out else False
        out.reverse()
        return out, more

    def export_after(self, after_seq: int, per_page: int) -> tuple[list[dict[str, Any]], int, bool]:
        """Tickets written after ``after_seq`` in write order: (tickets, last seq, at end)."""
        out: list[dict[str, Any]] = []
        with self._lock:
            pos = bisect.bisect_right(self._log_seq, after_seq)
            last_seq = after_seq
            n = len(self._log_seq)
            while pos < n and len(out) < per_page:
                seq, tid = self._log_seq[pos], self._log_id[pos]
                pos += 1
                if self._seq_of.get(tid) == seq:
                    out.append(self._tickets[tid])
                    last_seq = seq
            # Stale log entries past the page do not count as "more".
            end = all(self._seq_of.get(self._log_id[i]) != self._log_seq[i] for i in range(pos, n))
        return out, last_seq, end

    def seq_before(self, start_time: float) -> int:
        """The sequence number just before the first write at or after ``start_time``."""
        with self._lock:
            pos = bisect.bisect_left(self._log_wall, start_time)
            return self._log_seq[pos] - 1 if pos < len(self._log_seq) else self._seq

    # --- writing -------------------------------------------------------------

    def create(self, fields: dict[str, Any], author_id: int = AGENT_ID) -> dict[str, Any]:
        """Create one ticket (422 on invalid fields) and return it."""
        with self._lock:
            return self._create_locked(fields, author_id)

    def create_many(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Create tickets in one go; job results per Zendesk (``id``, ``index``) or failures."""
        results: list[dict[str, Any]] = []
        with self._lock:
            for index, fields in enumerate(items):
                try:
                    ticket = self._create_locked(fields, AGENT_ID)
                except ApiError as exc:
                    results.append(_failure(None, index, "create", exc))
                else:
                    results.append({"id": ticket["id"], "index": index})
        return results

    def update(
        self, ticket_id: int, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply one ticket update; returns (ticket, audit). 404, 409 and 422 as ``ApiError``."""
        with self._lock:
            return self._update_locked(ticket_id, changes)

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
                    self._update_locked(ticket_id, changes)
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

    # --- internals (lock held) -------------------------------------------------

    def _create_locked(self, fields: dict[str, Any], author_id: int) -> dict[str, Any]:
        validate_fields(fields)
        now = self._now()
        comment_spec = fields.get("comment")
        if comment_spec is None and "description" in fields:
            comment_spec = {"body": fields["description"]}
        if comment_spec is None:
            raise ApiError(
                422,
                {
                    "error": "RecordInvalid",
                    "description": "Record validation errors",
                    "details": {
                        "base": [
                            {"description": "Description: cannot be blank", "error": "BlankValue"}
                        ]
                    },
                },
            )
        requester_id = self._requester_id(fields, author_id)
        ticket_id = self._next_id
        self._next_id += 1
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
        )
        self._publish(ticket, now, created=True)
        self._comments[ticket_id] = [comment]
        return ticket

    def _update_locked(
        self, ticket_id: int, changes: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        current = self._tickets.get(ticket_id)
        if current is None:
            raise not_found()
        if "safe_update" in changes and changes.get("updated_stamp") is not None:
            stamp = parse_iso(str(changes["updated_stamp"]))
            if stamp is None or stamp != parse_iso(current["updated_at"]):
                raise _conflict()
        after = apply_changes(current, changes)
        now = self._now()
        comment = None
        spec = changes.get("comment")
        if spec:
            comment = comment_record(self._next_comment_id, spec, AGENT_ID, now)
            self._next_comment_id += 1
            self._comments[ticket_id] = [*self._comments.get(ticket_id, ()), comment]
        self._publish(after, now)
        audit = {
            "id": self._seq,
            "ticket_id": ticket_id,
            "created_at": after["updated_at"],
            "author_id": AGENT_ID,
            "via": after["via"],
            "metadata": {},
            "events": audit_events(current, after, comment),
        }
        return after, audit

    def _requester_id(self, fields: dict[str, Any], default: int) -> int:
        if isinstance(fields.get("requester_id"), int):
            return int(fields["requester_id"])
        requester = fields.get("requester")
        if isinstance(requester, int):
            return requester
        email = name = None
        if isinstance(requester, str):
            email = requester
        elif isinstance(requester, dict):
            email, name = requester.get("email"), requester.get("name")
        if not email:
            return default
        email = str(email).lower()
        user = self._users.get(email)
        if user is None:
            user = {"id": self._next_user_id, "email": email, "name": name or email}
            self._next_user_id += 1
            self._users[email] = user
        return int(user["id"])

    def _publish(self, ticket: dict[str, Any], now: float, *, created: bool = False) -> None:
        """Stamp a new version of ``ticket`` and make it the current one."""
        tid = ticket["id"]
        wall = max(now, self._last_wall)
        self._last_wall = wall
        if not created:
            previous = parse_iso(self._tickets[tid]["updated_at"]) or 0.0
            stamp_ts = max(float(int(now)), previous + 1.0)
            ticket["updated_at"] = iso(stamp_ts)
            ticket["generated_timestamp"] = int(stamp_ts)
        self._seq += 1
        self._seq_of[tid] = self._seq
        self._tickets[tid] = ticket
        self._log_seq.append(self._seq)
        self._log_id.append(tid)
        self._log_wall.append(wall)
        self.writes += 1
        if len(self._log_seq) > 2 * len(self._tickets) + 1024:
            self._compact_log()

    def _compact_log(self) -> None:
        keep = [
            (s, i, w)
            for s, i, w in zip(self._log_seq, self._log_id, self._log_wall, strict=True)
            if self._seq_of.get(i) == s
        ]
        self._log_seq = [k[0] for k in keep]
        self._log_id = [k[1] for k in keep]
        self._log_wall = [k[2] for k in keep]

    # --- persistence -----------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            order = sorted(self._seq_of, key=self._seq_of.__getitem__)
            walls = dict(zip(self._log_id, self._log_wall, strict=True))
            return {
                "version": _STATE_VERSION,
                "next_id": self._next_id,
                "next_comment_id": self._next_comment_id,
                "next_user_id": self._next_user_id,
                "tickets": [self._tickets[i] for i in order],
                "walls": [walls.get(i, 0.0) for i in order],
                "comments": {str(k): v for k, v in self._comments.items()},
                "users": list(self._users.values()),
            }

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the contents with a saved state (tickets re-pointed at this server's URL)."""
        with self._lock:
            self._reset()
            self._next_id = int(state["next_id"])
            self._next_comment_id = int(state["next_comment_id"])
            self._next_user_id = int(state.get("next_user_id", 1000))
            for ticket, wall in zip(state["tickets"], state["walls"], strict=True):
                tid = int(ticket["id"])
                ticket["url"] = f"{self.base_url}/api/v2/tickets/{tid}.json"
                self._seq += 1
                self._seq_of[tid] = self._seq
                self._tickets[tid] = ticket
                self._log_seq.append(self._seq)
                self._log_id.append(tid)
                self._log_wall.append(float(wall))
            self._last_wall = self._log_wall[-1] if self._log_wall else 0.0
            self._comments = {int(k): v for k, v in state["comments"].items()}
            self._users = {u["email"]: u for u in state.get("users", [])}


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
