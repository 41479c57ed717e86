"""A public answer and a status change on a ServiceNow record (the answers' ``AnswerDesk``).

An answer is the record's ``comments`` (Additional comments: the caller sees it and is mailed
it) in one ``PATCH`` with the waiting state the answers pass asks for: On Hold, Awaiting Caller
for an incident (``state`` 3, ``hold_reason`` 1), Awaiting Info for a case (``state`` 18);
then the labels. The ``PATCH`` is never replayed by the transport: a lost answer is an unknown
fate, which the next run settles by reading the journal before it sends. Solved is Resolved
(``state`` 6) with the close code and notes an instance's data policy asks of an incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...errors import HelpdeskError
from .labels import Labels
from .list_reads import TableReads
from .reads import journal
from .records import STATE_OF, sys_int
from .wire import TABLE_API, ServiceNowTransport, result_row

CLOSE = {"close_code": "Solution provided", "close_notes": "Answered by ticketbot"}


def requester_name(http: ServiceNowTransport, user_sys_id: str | None) -> str | None:
    """The caller's name (``sys_user``), for the answer's greeting; None when unreadable."""
    if not user_sys_id:
        return None
    answer = http.request(
        "GET", f"{TABLE_API}/sys_user/{user_sys_id}", params={"sysparm_fields": "name"}
    )
    name = result_row(answer.body).get("name")
    return name if isinstance(name, str) and name else None


def state_change(table: str, status: str) -> dict[str, Any]:
    """The columns that put a record of ``table`` in ticketbot's ``status``."""
    state = STATE_OF[table].get(status)
    if state is None:
        return {}
    body: dict[str, Any] = {"state": state}
    if table == "incident" and status == "pending":
        body["hold_reason"] = "1"  # Awaiting Caller
    if table == "incident" and status == "solved":
        body.update(CLOSE)
    return body


def post_answer(
    http: ServiceNowTransport,
    reads: TableReads,
    labels: Labels,
    ticket_id: int,
    body: str,
    *,
    add_tags: Sequence[str],
) -> str | None:
    """The comment and the waiting state in one ``PATCH``, then the labels; the comment's id
    (as ``conversation`` names it), read back from the journal since the ``PATCH``'s answer
    does not name the entry it made; None when that read fails (the answer went out)."""
    record = reads.one(ticket_id)
    if record is None:
        return None
    change = {"comments": body, **state_change(reads.table, "pending")}
    path = f"{TABLE_API}/{reads.table}/{record.sys_id}"
    http.request("PATCH", path, json=change, replay_safe=False, retry=False)
    labels.add(record.sys_id, [t for t in add_tags if t not in record.ticket.tags])
    return _comment_id(http, reads.table, record.sys_id, body)


def _comment_id(http: ServiceNowTransport, table: str, sys_id: str, body: str) -> str | None:
    """The newest ``comments`` entry of the record holding ``body``: the answer just sent."""
    try:
        entries = journal(http, table, [sys_id], "comments")[sys_id]
    except HelpdeskError:
        return None
    for entry in reversed(entries):
        entry_id = sys_int(entry.get("sys_id"))
        if entry_id is not None and str(entry.get("value") or "").strip() == body.strip():
            return str(entry_id)
    return None


def set_status(
    http: ServiceNowTransport,
    reads: TableReads,
    labels: Labels,
    ticket_id: int,
    status: str | None,
    *,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    note: str | None = None,
) -> None:
    record = reads.one(ticket_id)
    if record is None:
        return
    change: dict[str, Any] = state_change(reads.table, status) if status is not None else {}
    if note:
        change["work_notes"] = note
    if change:
        path = f"{TABLE_API}/{reads.table}/{record.sys_id}"
        http.request("PATCH", path, json=change, replay_safe=not note)
    labels.add(record.sys_id, [t for t in add_tags if t not in record.ticket.tags])
    labels.remove(record.sys_id, [t for t in remove_tags if t in record.ticket.tags])
