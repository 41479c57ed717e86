"""The instance's record templates (``sys_template``) for the ticket table, as
``models.ReadyReply`` values: ServiceNow's nearest thing to a macro.

A template is an encoded query of the columns it fills (``comments=…^state=6``): its
``comments`` is a public reply (the caller reads it), its ``work_notes`` an internal note; one
that fills only fields has no text. Inactive templates and those of other tables are left out;
a template's id is its sys_id's ``sys_int``.
"""

from __future__ import annotations

from typing import Any

from ...models.ready_reply import ReadyReply
from .records import iso, sys_int
from .wire import ServiceNowTransport


def template_values(template: str) -> dict[str, str]:
    """``a=1^b=2`` as ``{"a": "1", "b": "2"}`` (a value may hold ``=``; ``^EQ`` ends it)."""
    found: dict[str, str] = {}
    for part in template.split("^"):
        name, equals, value = part.partition("=")
        if equals and name and name != "EQ":
            found[name.strip()] = value
    return found


def reply_of(row: dict[str, Any]) -> ReadyReply | None:
    template_id, name = sys_int(row.get("sys_id")), row.get("name")
    if template_id is None or not isinstance(name, str) or not name.strip():
        return None
    values = template_values(str(row.get("template") or ""))
    public = bool(values.get("comments"))
    text = values.get("comments") or values.get("work_notes") or ""
    return ReadyReply(
        template_id, name.strip(), text.strip(), public or not text, iso(row.get("sys_updated_on"))
    )


def templates(http: ServiceNowTransport, table: str) -> list[ReadyReply]:
    query = f"table={table}^active=true^ORDERBYname"
    rows = http.every("sys_template", query, "sys_id,name,template,sys_updated_on")
    return [reply for reply in (reply_of(row) for row in rows) if reply is not None]
