"""The instance's record of deletions (``sys_audit_delete``), as the ServiceNow sandbox keeps it:
each record deleted from an audited table (the task tables, ``sys_user``) through the Table API
leaves a row with ``tablename``, ``documentkey`` (the deleted record's sys_id),
``display_value`` (its number, or a user's name) and ``payload`` (the record as XML, which the
"Deleted Records" module restores from); ``sys_created_on`` is the deletion's moment. Only an
admin reads the table (``api.ADMIN_READ_TABLES``)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from .store import Record, ServiceNowStore
from .tables import DISPLAY_COLUMN, TASK_TABLES

TABLE = "sys_audit_delete"
AUDITED = (*TASK_TABLES, "sys_user")


def _payload(table: str, row: Record) -> str:
    fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in sorted(row.items()))
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{head}<record_update table="{table}"><{table}>{fields}</{table}></record_update>'


def record_deletion(store: ServiceNowStore, table: str, row: Record, user: str) -> None:
    """The deletion of ``row`` from ``table`` recorded, when the table is audited."""
    if table not in AUDITED:
        return
    display = row.get(DISPLAY_COLUMN.get(table, "sys_id"), row["sys_id"])
    entry = {
        "tablename": table,
        "documentkey": row["sys_id"],
        "display_value": display,
        "payload": _payload(table, row),
    }
    store.insert(TABLE, entry, user)
