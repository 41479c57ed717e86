"""Seeding ServiceNow's sample record templates (ticketbot's own sandbox only): each sample
ready-made reply as a ``sys_template`` of the ticket table whose ``comments`` is its text.

The solved history that uses them (which the other kinds' seeds make beside them) is not made
here: its replies must be an agent's, and through the Table API every journal entry is
written by the integration user itself (``sys_created_by`` is the instance's to set), which
the history leaves out as ticketbot's own.
"""

from __future__ import annotations

from ..sample_replies import SeededReplies, sample_replies
from .wire import TABLE_API, ServiceNowTransport

# What ``seed`` calls them, in the helpdesk's words.
_NOUN, _READER = "sample record templates", "`ticketbot macros sync`"


def seed_templates(http: ServiceNowTransport, table: str) -> SeededReplies:
    """The sample templates the instance does not have yet (by name); how many were made."""
    macros, _ = sample_replies()
    there = {
        str(row.get("name"))
        for row in http.every("sys_template", f"table={table}", "name", page=1000)
    }
    made = 0
    for macro in macros:
        if macro.title in there:
            continue
        body = {
            "name": macro.title,
            "table": table,
            "template": f"comments={macro.text.replace('^', ' ')}",
            "short_description": macro.title,
            "active": "true",
        }
        http.request("POST", f"{TABLE_API}/sys_template", json=body, replay_safe=False)
        made += 1
    return SeededReplies(made, noun=_NOUN, reader=_READER)
