"""The sandbox's ticket events: one audit per ticket write, as the time-based ticket event export
(``GET /api/v2/incremental/ticket_events``) shows them.

Pure record rules and the event log; ``ticket_book.TicketBook`` records an event for every create
and update (a single ``PUT``, an ``update_many`` job's ticket, a tag call), under the store's
lock. An event is Zendesk's ``Audit`` record: ``id``, ``ticket_id``, ``timestamp`` (Unix
seconds), ``created_at``, ``updater_id``, ``via`` (a channel's name), ``event_type`` and
``child_events`` — ``Create`` (a new ticket's fields) or ``Change`` events (with
``previous_value``), and the ``Comment`` the write added. Without the ``comment_events``
sideload a comment shows only as ``comment_present`` / ``comment_public`` on the other child
events, as Zendesk describes it; ``exported`` makes that view. The log also holds each write's
custom field values (``field_name``: the field's id), which the export leaves out, and the
macros an update says it applied (``macro_ids``: ``AgentMacroReference`` events), which the
ticket's own audits (``GET /api/v2/tickets/{id}/audits``, ``ticket_audits``) show.
A comment redacted (``redactions_api.py``) is one more audit holding a ``CommentRedactionEvent``
(``comment_id``), and the comment's text is redacted in the log's earlier events too: Zendesk
keeps no copy of what was redacted. ``TicketChange`` is the same write as the book's observer
(the webhooks' triggers, ``automation.py``) sees it.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .records import iso

VIA_NAME = "Web service"  # the ``via`` name Zendesk gives a write made through the API
_FIELDS = ("subject", "status", "priority", "type")


@dataclass(frozen=True)
class TicketChange:
    """One write as the triggers see it: ``before`` None for a creation; ``comment`` the one the
    write added; ``role`` of who made it (``end_user`` or ``agent``), as a trigger's "Current
    user" condition reads it."""

    before: dict[str, Any] | None
    after: dict[str, Any]
    comment: dict[str, Any] | None
    role: str


def _child(event_id: int, event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "via": VIA_NAME,
        "via_reference_id": None,
        **fields,
        "event_type": event_type,
    }


def comment_child(comment: dict[str, Any]) -> dict[str, Any]:
    """A comment as a ``Comment`` child event (the ``comment_events`` sideload)."""
    return {
        "id": comment["id"],
        "via": comment["via"],
        "via_reference_id": None,
        "type": "Comment",
        "author_id": comment["author_id"],
        "body": comment["body"],
        "html_body": comment["html_body"],
        "plain_body": comment["plain_body"],
        "public": comment["public"],
        "attachments": list(comment["attachments"]),
        "audit_id": comment["audit_id"],
        "created_at": comment["created_at"],
        "event_type": "Comment",
    }


class TicketEventLog:
    """Every write's audit event, in write order; not thread-safe (the store's lock is)."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._stamps: list[int] = []  # each event's timestamp, never decreasing
        self._next_id = 1

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def record(
        self,
        before: dict[str, Any] | None,
        after: dict[str, Any],
        comment: dict[str, Any] | None,
        *,
        updater_id: int,
        now: float,
        macros: tuple[tuple[int, str], ...] = (),
    ) -> None:
        """The audit of one write: ``before`` None for a ticket's creation; ``macros``: the
        macros (id, title) the write says it applied (``macro_ids``)."""
        children: list[dict[str, Any]] = []
        if before is None:
            for name in (*_FIELDS, "tags"):
                if after.get(name) not in (None, "", []):
                    children.append(_child(self._new_id(), "Create", **{name: after[name]}))
        else:
            for name in _FIELDS:
                if before.get(name) != after.get(name):
                    children.append(
                        _child(
                            self._new_id(),
                            "Change",
                            **{name: after.get(name)},
                            previous_value=before.get(name),
                        )
                    )
            if before["tags"] != after["tags"]:
                added = [t for t in after["tags"] if t not in before["tags"]]
                removed = [t for t in before["tags"] if t not in after["tags"]]
                children.append(
                    _child(
                        self._new_id(),
                        "Change",
                        tags=list(after["tags"]),
                        previous_value=list(before["tags"]),
                        added_tags=added,
                        removed_tags=removed,
                    )
                )
        children.extend(self._field_children(before, after))
        if comment is not None:
            children.append(comment_child(comment))
        for macro_id, title in macros:
            children.append(
                _child(
                    self._new_id(),
                    "AgentMacroReference",
                    macro_id=str(macro_id),
                    macro_title=title,
                    macro_deleted=False,
                )
            )
        # Zendesk's clock never runs back: a write is never stamped before the one before it.
        stamp = max(int(now), self._stamps[-1] if self._stamps else 0)
        self._events.append(
            {
                "id": self._new_id(),
                "ticket_id": after["id"],
                "timestamp": stamp,
                "created_at": iso(stamp),
                "updater_id": updater_id,
                "via": VIA_NAME,
                "system": {},
                "event_type": "Audit",
                "child_events": children,
                "merged_ticket_ids": [],
            }
        )
        self._stamps.append(stamp)

    def record_redaction(
        self,
        ticket_id: int,
        comment_id: int,
        redact: Callable[[dict[str, Any]], object],
        *,
        updater_id: int,
        now: float,
    ) -> None:
        """A comment's redaction: ``redact`` applied to the comment as every event holds it,
        and an audit with a ``CommentRedactionEvent`` naming it."""
        for event in self._events:
            if event["ticket_id"] != ticket_id:
                continue
            for child in event["child_events"]:
                if child["event_type"] == "Comment" and child["id"] == comment_id:
                    redact(child)
        stamp = max(int(now), self._stamps[-1] if self._stamps else 0)
        child = _child(self._new_id(), "CommentRedactionEvent", comment_id=comment_id)
        self._events.append(
            {
                "id": self._new_id(),
                "ticket_id": ticket_id,
                "timestamp": stamp,
                "created_at": iso(stamp),
                "updater_id": updater_id,
                "via": VIA_NAME,
                "system": {},
                "event_type": "Audit",
                "child_events": [child],
                "merged_ticket_ids": [],
            }
        )
        self._stamps.append(stamp)

    def _field_children(
        self, before: dict[str, Any] | None, after: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The custom fields a write set: ``Create`` for a new ticket's, else ``Change``."""
        now = _custom_values(after)
        if before is None:
            return [
                _child(self._new_id(), "Create", field_name=key, value=value)
                for key, value in now.items()
                if value not in (None, "", [])
            ]
        then = _custom_values(before)
        return [
            _child(
                self._new_id(), "Change", field_name=key, value=value, previous_value=then.get(key)
            )
            for key, value in now.items()
            if then.get(key) != value
        ]

    def ticket_audits(self, ticket_id: int) -> list[dict[str, Any]]:
        """A ticket's audits, oldest first, as ``GET /api/v2/tickets/{id}/audits`` lists them:
        each event a ``type`` with the ``field_name`` and ``value`` it set, or the comment."""
        return [
            {
                "id": e["id"],
                "ticket_id": ticket_id,
                "created_at": e["created_at"],
                "author_id": e["updater_id"],
                "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
                "metadata": {"system": {}, "custom": {}},
                "events": [_audit_event(c) for c in e["child_events"]],
            }
            for e in self._events
            if e["ticket_id"] == ticket_id
        ]

    def between(self, start: int, before: int, limit: int) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` events stamped in ``[start, before)``, oldest first, and whether
        more of them follow."""
        first = bisect.bisect_left(self._stamps, start)
        last = bisect.bisect_left(self._stamps, before)
        chosen = self._events[first : min(last, first + limit)]
        return chosen, last - first > limit

    def to_state(self) -> dict[str, Any]:
        return {"events": list(self._events), "next_id": self._next_id}

    def load_state(self, state: dict[str, Any]) -> None:
        self._events = list(state.get("events", []))
        self._stamps = [int(e["timestamp"]) for e in self._events]
        self._next_id = int(state.get("next_id", 1))


def with_imported_comments(
    audits: list[dict[str, Any]], ticket_id: int, comments: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The audits with one more for each comment no audit holds (the later comments of an
    imported ticket, which the export's log does not show): on Zendesk a ticket's audits hold
    every one of its comments. They follow the import's own audit, in their order."""
    held = {e["id"] for a in audits for e in a["events"] if e.get("type") == "Comment"}
    imported: list[dict[str, Any]] = []
    for comment in comments:
        if comment["id"] in held:
            continue
        event = {"type": "Comment", **comment, "audit_id": comment["audit_id"]}
        imported.append(
            {
                "id": comment["audit_id"],
                "ticket_id": ticket_id,
                "created_at": comment["created_at"],
                "author_id": comment["author_id"],
                "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
                "metadata": {"system": {}, "custom": {}},
                "events": [event],
            }
        )
    return [*audits[:1], *imported, *audits[1:]]


def _custom_values(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket's custom field values by the field's id, as an audit names the field."""
    return {
        str(f["id"]): f.get("value")
        for f in ticket.get("custom_fields") or ()
        if isinstance(f, dict) and "id" in f
    }


def _audit_event(child: dict[str, Any]) -> dict[str, Any]:
    """One child event of the log as a ticket's audit shows it."""
    if child["event_type"] == "Comment":
        keys = ("id", "author_id", "body", "html_body", "plain_body", "public", "attachments")
        return {"type": "Comment", **{k: child[k] for k in keys}, "audit_id": child["audit_id"]}
    if child["event_type"] == "CommentRedactionEvent":
        kept = ("id", "comment_id")
        return {"type": "CommentRedactionEvent", **{k: child[k] for k in kept}}
    if child["event_type"] == "AgentMacroReference":
        macro = ("id", "macro_id", "macro_title", "macro_deleted")
        return {"type": "AgentMacroReference", **{k: child[k] for k in macro}}
    if "field_name" in child:
        name = child["field_name"]
    else:
        name = next(k for k in (*_FIELDS, "tags") if k in child)
    shown = {"id": child["id"], "type": child["event_type"], "field_name": name}
    shown["value"] = child["value"] if "field_name" in child else child[name]
    if "previous_value" in child:
        shown["previous_value"] = child["previous_value"]
    return shown


def exported(event: dict[str, Any], *, comment_events: bool) -> dict[str, Any]:
    """An event as the export shows it: with the ``comment_events`` sideload whole; without,
    a comment is only ``comment_present`` / ``comment_public`` on the other child events."""
    # The export's shape for custom fields is not modelled: they are left out of it.
    event = {**event, "child_events": [c for c in event["child_events"] if "field_name" not in c]}
    if comment_events:
        return event
    comments = [c for c in event["child_events"] if c["event_type"] == "Comment"]
    flags = {
        "comment_present": bool(comments),
        "comment_public": any(c["public"] for c in comments),
    }
    children = [{**c, **flags} for c in event["child_events"] if c["event_type"] != "Comment"]
    return {**event, "child_events": children}
