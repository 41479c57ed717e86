"""Who added a tag to a ServiceNow record (``capabilities.TagAuthors``): the ``label_entry``
tying the label to the record names its creator (``sys_created_by``, a user name), and the
creator's roles (``sys_user_has_role``) say whether they work tickets (``itil``, a case agent's
``sn_customerservice_agent``, ``admin``) or are a caller, a customer whose portal tagged it. An
approval by tag is honoured only from an agent."""

from __future__ import annotations

from ...errors import HelpdeskError
from ..capabilities import TagAuthor
from .list_reads import TableReads
from .wire import ServiceNowTransport

AGENT_ROLES = ("itil", "sn_customerservice_agent", "admin")


class ServiceNowTagAuthors:
    """The adapter's part that tells who added a tag (a mixin: it needs ``http``, ``table``
    and ``reads``)."""

    http: ServiceNowTransport
    table: str
    reads: TableReads

    def tag_author(self, ticket_id: int, tag: str) -> TagAuthor | None:
        record = self.reads.one(ticket_id)
        if record is None or not record.sys_id:
            return None
        query = f"table={self.table}^table_key={record.sys_id}^ORDERBYsys_created_on"
        entries = self.http.every("label_entry", query, "sys_created_by,label.name")
        creators = [
            str(e.get("sys_created_by") or "") for e in entries if e.get("label.name") == tag
        ]
        if not creators or not creators[-1]:
            return None
        try:
            users = list(self.http.every("sys_user", f"user_name={creators[-1]}", "sys_id"))
            user = str(users[0].get("sys_id") or "") if users else ""
            roles = (
                self.http.every("sys_user_has_role", f"user={user}", "role.name") if user else []
            )
            names = {str(r.get("role.name") or "") for r in roles}
        except HelpdeskError:
            return None  # unknown: not taken for an agent's
        return TagAuthor(creators[-1], bool(names & set(AGENT_ROLES)))
