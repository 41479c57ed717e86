"""What a fresh ServiceNow sandbox holds before any request, as a Personal Developer Instance
would: the API user (``admin``: itil, knowledge, admin) and a human agent, the sample groups
and their agents, incident categories and subcategories (``sys_choice``), ``sys_number`` rows,
the running summary's column (``u_ai_summary``) with ACLs that keep it to agents (itil), and
the sample help centre as published ``kb_knowledge`` articles in one knowledge base. No
record templates (``sys_template``): as on the other sandboxes, the sample ones (and the solved
history that uses them) are what ``ticketbot seed`` makes, so a fresh desk has none a test did
not add.

Seeded records have sys_ids derived from their names, so they are the same on every start.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources

from ...samples import SAMPLE_GROUPS
from .store import ServiceNowStore
from .tables import NUMBERING

# The human agent the desk writes agent messages as (``desks.HUMAN_AGENT_ID``'s equivalent).
HUMAN_AGENT_USER = "beth.anglin"
HUMAN_AGENT_NAME = "Beth Anglin"
KNOWLEDGE_BASE = "IT"
_ROLES = ("itil", "knowledge", "admin", "sn_incident_write", "sn_customerservice_agent")
_API_USER_ROLES = ("itil", "knowledge", "admin")

# Incident categories and their subcategories, as on a Personal Developer Instance.
CATEGORIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "inquiry": ("Inquiry / Help", (("antivirus", "Antivirus"), ("email", "Email"))),
    "software": ("Software", (("email", "Email"), ("os", "Operating System"))),
    "hardware": ("Hardware", (("cpu", "CPU"), ("disk", "Disk"), ("keyboard", "Keyboard"))),
    "network": (
        "Network",
        (("dhcp", "DHCP"), ("dns", "DNS"), ("ip address", "IP Address"), ("vpn", "VPN")),
    ),
    "database": ("Database", (("db2", "DB2"), ("ms sql server", "MS SQL Server"))),
}


def sys_id_for(kind: str, name: str) -> str:
    """The seeded record's sys_id: the same for the same name on every start."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"servicenow-sandbox/{kind}/{name}").hex


def seed_instance(store: ServiceNowStore, api_user: str) -> None:
    """Fill an empty store with the instance's starting records."""
    system = "system"
    for table, (prefix, first, digits) in NUMBERING.items():
        store.insert(
            "sys_number",
            {
                "sys_id": sys_id_for("sys_number", table),
                "category": table,
                "prefix": prefix,
                "number": str(first),
                "maximum_digits": str(digits),
            },
            system,
        )
    for role in _ROLES:
        store.insert("sys_user_role", {"sys_id": sys_id_for("role", role), "name": role}, system)
    for table in ("incident", "sn_customerservice_case"):
        store.insert("sys_dictionary", summary_column(table), system)
        # Agents only read and write the summary's column: a caller never sees it.
        restrict_column(store, table, "u_ai_summary", read=True, write=True)
    admin = add_user(store, api_user, "System Administrator", f"{api_user}@example.com")
    for role in _API_USER_ROLES:
        grant(store, admin, role)
    agent = add_user(store, HUMAN_AGENT_USER, HUMAN_AGENT_NAME, "beth.anglin@example.com")
    grant(store, agent, "itil")
    for group, members in SAMPLE_GROUPS.items():
        group_id = sys_id_for("group", group)
        store.insert(
            "sys_user_group",
            {"sys_id": group_id, "name": group, "description": f"The {group} team"},
            system,
        )
        for name, email in members:
            user = add_user(store, email.split("@")[0], name, email)
            grant(store, user, "itil")
            store.insert("sys_user_grmember", {"user": user, "group": group_id}, system)
    _choices(store)
    _knowledge(store, admin)


def summary_column(table: str) -> dict[str, str]:
    """The running summary's column the seed's instance has (``u_ai_summary``), as its
    dictionary row."""
    return {
        "sys_id": sys_id_for("sys_dictionary", f"{table}.u_ai_summary"),
        "name": table,
        "element": "u_ai_summary",
        "column_label": "AI summary",
        "internal_type": "string",
        "max_length": "4000",
    }


def add_user(store: ServiceNowStore, user_name: str, name: str, email: str) -> str:
    """A ``sys_user`` (its sys_id); the one already there when ``user_name`` is taken."""
    found = store.user_named(user_name)
    if found is not None:
        return found["sys_id"]
    first, _, last = name.partition(" ")
    row = store.insert(
        "sys_user",
        {
            "sys_id": sys_id_for("user", user_name),
            "user_name": user_name,
            "name": name,
            "first_name": first,
            "last_name": last,
            "email": email,
        },
        "system",
    )
    return row["sys_id"]


def restrict_column(
    store: ServiceNowStore, table: str, column: str, *, read: bool, write: bool
) -> None:
    """Field-level ACLs on ``table.column``, an admin's: reading it (``read``) and writing it
    (``write``) need the itil role; the column's earlier ACLs go. Without an ACL a caller
    reads (writes) the column as the table's own ACLs let them."""
    name = f"{table}.{column}"
    gone = {acl["sys_id"] for acl in store.rows("sys_security_acl") if acl["name"] == name}
    for held in store.rows("sys_security_acl_role"):
        if held["sys_security_acl"] in gone:
            store.delete("sys_security_acl_role", held["sys_id"])
    for acl_id in gone:
        store.delete("sys_security_acl", acl_id)
    for operation, wanted in (("read", read), ("write", write)):
        if not wanted:
            continue
        acl = {
            "sys_id": sys_id_for("acl", f"{name}.{operation}"),
            "name": name,
            "operation": operation,
            "description": "Agents only",
        }
        store.insert("sys_security_acl", acl, "system")
        role = {"sys_security_acl": acl["sys_id"], "sys_user_role": sys_id_for("role", "itil")}
        store.insert("sys_security_acl_role", role, "system")


def grant(store: ServiceNowStore, user: str, role: str) -> None:
    store.insert("sys_user_has_role", {"user": user, "role": sys_id_for("role", role)}, "system")


def _choices(store: ServiceNowStore) -> None:
    for order, (value, (label, subcategories)) in enumerate(CATEGORIES.items()):
        for table in ("incident", "sn_customerservice_case"):
            store.insert(
                "sys_choice",
                {
                    "name": table,
                    "element": "category",
                    "value": value,
                    "label": label,
                    "sequence": str(order),
                },
                "system",
            )
            for sub, sub_label in subcategories:
                store.insert(
                    "sys_choice",
                    {
                        "name": table,
                        "element": "subcategory",
                        "value": sub,
                        "label": sub_label,
                        "dependent_value": value,
                    },
                    "system",
                )


def _knowledge(store: ServiceNowStore, author: str) -> None:
    base = store.insert(
        "kb_knowledge_base",
        {"sys_id": sys_id_for("kb", KNOWLEDGE_BASE), "title": KNOWLEDGE_BASE},
        "system",
    )
    text = resources.files("ticket_processor").joinpath("samples/help_centre.jsonl").read_text()
    for line in text.splitlines():
        if not line.strip():
            continue
        article = json.loads(line)
        store.insert(
            "kb_knowledge",
            {
                "sys_id": sys_id_for("article", article["title"]),
                "short_description": article["title"],
                "text": article["body"],
                "workflow_state": "published",
                "kb_knowledge_base": base["sys_id"],
                # ServiceNow's language codes are the language alone ("de", "en"), no region.
                "language": str(article.get("locale") or "en").split("-")[0],
                "author": author,
            },
            "system",
        )
