"""What a ServiceNow sandbox's callers would have received by mail (``GET /sandbox/outbox``), in
the other sandboxes' outbox shape: every additional comment (``comments`` journal entry) on an
incident or case that its caller (the case's contact) did not write, oldest first.

Ids follow ticketbot's: a ticket is its number's digits; a user or an entry keyed by sys_id is
``int(sys_id[:15], 16)``, except that the API user is 1 and the desk's human agent 2, as on the
other sandboxes (``desks.HUMAN_AGENT_ID``), so a test reads whose reply it was the same way on
every helpdesk.
"""

from __future__ import annotations

from typing import Any

from .seed import HUMAN_AGENT_USER
from .store import ServiceNowStore

# The record's customer: the column each task table names its caller in.
_CUSTOMER = {"incident": "caller_id", "sn_customerservice_case": "contact"}


def outbox(store: ServiceNowStore, api_user: str) -> list[dict[str, Any]]:
    mails = []
    for table, column in _CUSTOMER.items():
        for row in sorted(store.rows(table), key=lambda r: _digits(r["number"])):
            customer = store.find("sys_user", row.get(column, "")) or {}
            for entry in reversed(store.journal(table, row["sys_id"])):
                author = entry["sys_created_by"]
                if entry["element"] != "comments" or author == customer.get("user_name"):
                    continue
                mails.append(
                    {
                        "ticket_id": _digits(row["number"]),
                        "to_requester_id": _sys_int(customer.get("sys_id", "")),
                        "author_id": _author_id(store, author, api_user),
                        "author": author,
                        "comment_id": _sys_int(entry["sys_id"]),
                        "body": entry["value"],
                        "created_at": entry["sys_created_on"],
                    }
                )
    return mails


def _author_id(store: ServiceNowStore, user_name: str, api_user: str) -> int | None:
    if user_name == api_user:
        return 1
    if user_name == HUMAN_AGENT_USER:
        return 2
    user = store.user_named(user_name)
    return _sys_int(user["sys_id"]) if user else None


def _sys_int(sys_id: str) -> int | None:
    return int(sys_id[:15], 16) if sys_id else None


def _digits(number: str) -> int:
    return int("".join(c for c in number if c.isdigit()) or 0)
