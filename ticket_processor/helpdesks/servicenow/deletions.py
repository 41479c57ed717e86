"""ServiceNow's deletions as the privacy feature follows them (``HelpdeskKind.deletions``).

An instance records each record deleted from an audited table in ``sys_audit_delete``
(``tablename``, ``documentkey``: the record's sys_id, ``display_value``: an incident's or a
case's number, ``sys_created_on``: when). The read asks for the rows of ticketbot's table (a
ticket deleted: its number is ticketbot's id) and of ``sys_user`` (a caller or contact deleted:
their sys_id is the tickets' ``requester_id``) created since the last read, oldest first, 100 a
page, up to ``max_requests``. The table is an admin's to read (or a role an admin granted read
on it); the user's address went with the record, so a deleted person is followed by id.
"""

from __future__ import annotations

import time

from ...models import Helpdesk
from ..deletions import Deletions
from .adapter import ServiceNowHelpdesk
from .records import number_digits, sys_int

TABLE = "sys_audit_delete"
PAGE = 100
FIELDS = "tablename,documentkey,display_value,sys_created_on"


def read_deletions(helpdesk: Helpdesk, *, since: float, max_requests: int) -> Deletions:
    if not isinstance(helpdesk, ServiceNowHelpdesk):
        raise TypeError("the ServiceNow deletion read needs the ServiceNow adapter")
    after = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(since)))
    query = f"tablenameIN{helpdesk.table},sys_user^sys_created_on>={after}^ORDERBYsys_created_on"
    tickets: set[int] = set()
    people: set[int] = set()
    requests, offset, complete = 0, 0, False
    while requests < max(1, max_requests):
        params = {
            "sysparm_query": query,
            "sysparm_fields": FIELDS,
            "sysparm_limit": str(PAGE),
            "sysparm_offset": str(offset),
            "sysparm_suppress_pagination_header": "true",
        }
        rows = helpdesk.http.rows(TABLE, params)
        requests += 1
        for row in rows:
            if row.get("tablename") == "sys_user":
                person = sys_int(row.get("documentkey"))
                if person is not None:
                    people.add(person)
            else:
                ticket = number_digits(row.get("display_value"))
                if ticket is not None:
                    tickets.add(ticket)
        if len(rows) < PAGE:
            complete = True
            break
        offset += len(rows)
    return Deletions(frozenset(tickets), frozenset(people), requests=requests, complete=complete)
