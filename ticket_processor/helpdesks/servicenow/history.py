"""The team's history on ServiceNow: resolved and closed records and their agents' public
comments, with the knowledge articles those comments link.

Records come from a list of the table's resolved and closed records updated since the window's
start (``stateIN…^sys_updated_on>=…``, keyset-paged as discovery is); each one's journal is read
with the page's others in one request. An agent's public reply is a ``comments`` entry written
neither by the record's caller nor by the user ticketbot signs in as. An article's link is
``kb_view.do?sysparm_article=KB0010001`` (the portal's ``sys_kb_id`` links name a sys_id and
are not followed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ...models import AgentReply, HistoryTicket
from ..history import articles_linked, in_window
from .discovery import ticket_pages
from .list_reads import TableReads
from .reads import journal
from .records import CUSTOMER, iso
from .wire import ServiceNowTransport

ARTICLE_LINK = re.compile(r"sysparm_article=KB0*(\d+)")
DONE_STATES = {"incident": "6,7", "sn_customerservice_case": "6,3"}


def agent_replies(
    entries: Iterable[dict[str, Any]], caller: str | None, own_user: str | None
) -> Iterator[AgentReply]:
    for entry in entries:
        author = entry.get("sys_created_by")
        if entry.get("element") != "comments" or author in (caller, own_user):
            continue
        text = str(entry.get("value") or "")
        yield AgentReply(
            body=text,
            created_at=iso(entry.get("sys_created_on")),
            articles=articles_linked(ARTICLE_LINK, [text]),
        )


def solved_history(
    http: ServiceNowTransport, reads: TableReads, since: int, own_user: str | None
) -> Iterator[HistoryTicket]:
    seen: set[int] = set()
    done = f"stateIN{DONE_STATES[reads.table]}"
    pages = ticket_pages(
        http, reads.table, reads.fields, reads.labels.of, None, since=since, query=done
    )
    for page in pages:
        fresh = [t for t in page.tickets if in_window(t, since) and t.id not in seen]
        if not fresh:
            continue
        records = reads.by_ids([t.id for t in fresh])
        entries = journal(http, reads.table, [r.sys_id for r in records.values()], "comments")
        for ticket in fresh:
            seen.add(ticket.id)
            record = records.get(ticket.id)
            if record is None:
                continue
            caller = record.row.get(f"{CUSTOMER[reads.table]}.user_name")
            replies = agent_replies(
                entries.get(record.sys_id, []),
                caller if isinstance(caller, str) else None,
                own_user,
            )
            yield HistoryTicket(record.ticket, tuple(replies))
