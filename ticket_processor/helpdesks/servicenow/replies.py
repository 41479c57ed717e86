"""Callers' replies on ServiceNow: ``comments`` journal entries, read from
``sys_journal_field`` in the order they were written.

``ServiceNowHelpdesk.reply_pages`` and ``conversation`` delegate here. The journal is its own
change feed: each page is a hundred ``comments`` entries of the table after the cursor
(``sys_created_on`` then ``sys_id``, keyset-paged as discovery is); the records they belong to
are read in one request, and only those carrying the processed marker, not solved or closed,
with an entry someone other than ticketbot's user wrote, have their journal read (one request
for all of them). An entry is the requester's when the record's caller (a case's contact)
wrote it (``sys_created_by`` is their ``user_name``); an agent's work note is never public and
never the requester's. ticketbot's own are those its integration user wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...models import Conversation, Cursor, Message, ReplyPage, Status
from .discovery import decode, encode
from .list_reads import Record, TableReads
from .reads import JOURNAL_FIELDS, journal
from .records import CUSTOMER, glide, iso, sys_int
from .wire import PAGE, TABLE_API, ServiceNowTransport, result_rows

CURSOR_KIND = "journal_created_on"
_DONE = (Status.SOLVED.value, Status.CLOSED.value)


def _after(table: str, stamp: str, sys_id: str) -> str:
    base = f"name={table}^element=comments"
    if sys_id:
        terms = f"{base}^sys_created_on>{stamp}^NQ{base}^sys_created_on={stamp}^sys_id>{sys_id}"
    else:
        terms = f"{base}^sys_created_on>={stamp}"
    return f"{terms}^ORDERBYsys_created_on^ORDERBYsys_id"


def reply_pages(
    http: ServiceNowTransport,
    reads: TableReads,
    cursor: Cursor | None,
    *,
    since: int,
    marker: str,
    own_user: str | None,
) -> Iterator[ReplyPage]:
    start = decode(cursor.value) if cursor and cursor.kind == CURSOR_KIND and cursor.value else None
    stamp, sys_id = start or (glide(since), "")
    while True:
        params = {
            "sysparm_query": _after(reads.table, stamp, sys_id),
            "sysparm_fields": JOURNAL_FIELDS,
            "sysparm_limit": str(PAGE),
            "sysparm_suppress_pagination_header": "true",
            "sysparm_no_count": "true",
        }
        rows = result_rows(
            http.request("GET", f"{TABLE_API}/sys_journal_field", params=params).body
        )
        last = len(rows) < PAGE
        if rows:
            stamp = str(rows[-1].get("sys_created_on") or stamp)
            sys_id = str(rows[-1].get("sys_id") or "")
        others = {
            str(r.get("element_id"))
            for r in rows
            if r.get("element_id") and r.get("sys_created_by") != own_user
        }
        records = [
            r
            for r in reads.by_sys_ids(sorted(others))
            if marker in r.ticket.tags and r.ticket.status not in _DONE
        ]
        conversations = conversations_of(http, reads, records, own_user)
        # Entries written later in the cursor's second may sort before it: the next run reads
        # that second again (the core knows which messages it answered).
        resume = "" if last else sys_id
        yield ReplyPage(conversations, Cursor(CURSOR_KIND, encode(stamp, resume)), last=last)
        if last:
            return


def conversations_of(
    http: ServiceNowTransport, reads: TableReads, records: list[Record], own_user: str | None
) -> list[Conversation]:
    entries = journal(http, reads.table, [r.sys_id for r in records])
    return [
        Conversation(
            r.ticket, tuple(messages(entries.get(r.sys_id, []), _caller(reads, r), own_user))
        )
        for r in records
    ]


def conversation(
    http: ServiceNowTransport, reads: TableReads, ticket_id: int, own_user: str | None
) -> Conversation | None:
    record = reads.one(ticket_id)
    if record is None:
        return None
    return conversations_of(http, reads, [record], own_user)[0]


def _caller(reads: TableReads, record: Record) -> str | None:
    found = record.row.get(f"{CUSTOMER[reads.table]}.user_name")
    return found if isinstance(found, str) and found else None


def messages(
    entries: list[dict[str, Any]], caller: str | None, own_user: str | None
) -> Iterator[Message]:
    """Journal entries as ``Message`` s, oldest first; an entry without a sys_id is skipped."""
    for entry in entries:
        entry_id = sys_int(entry.get("sys_id"))
        if entry_id is None:
            continue
        author = entry.get("sys_created_by")
        public = entry.get("element") == "comments"
        yield Message(
            id=entry_id,
            body=str(entry.get("value") or ""),
            created_at=iso(entry.get("sys_created_on")),
            public=public,
            from_requester=public and caller is not None and author == caller,
            from_ticketbot=own_user is not None and author == own_user,
        )
