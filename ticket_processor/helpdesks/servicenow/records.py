"""ServiceNow's records as ticketbot's values, and back. Pure: no I/O.

A ticket is a record of the configured table (``incident`` or ``sn_customerservice_case``), read
with ``sysparm_display_value=false`` and reference links excluded, so every value is a string
and a reference its sys_id (its person's name and e-mail through dotted walks). ticketbot's
ids are ints: a ticket's is its ``number``'s digits (``INC0010001`` → 10001); anything else
keyed by a sys_id is the sys_id's first 15 hex digits as a number (``sys_int``).

Priority is the instance's, computed from impact × urgency (a write to ``priority`` is
ignored): ticketbot reads 1 urgent, 2 high, 3 normal, 4 and 5 low, and writes the impact and
urgency whose computed priority means what it chose (``IMPACT_URGENCY``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ...models import Person, Priority, Ticket, WriteBack
from .kind import CONTACT_CHANNEL

PRIORITY_FROM_SERVICENOW = {"1": "urgent", "2": "high", "3": "normal", "4": "low", "5": "low"}
IMPACT_URGENCY: dict[Priority, tuple[str, str]] = {
    Priority.URGENT: ("1", "1"),
    Priority.HIGH: ("1", "2"),
    Priority.NORMAL: ("2", "2"),
    Priority.LOW: ("2", "3"),
}
DEFAULT_IMPACT_URGENCY = ("3", "3")  # a new record's, on an instance: priority 5

# Each table's states in ticketbot's words, its customer column and its parent column.
STATES = {
    "incident": {"1": "new", "2": "open", "3": "hold", "6": "solved", "7": "closed", "8": "closed"},
    "sn_customerservice_case": {
        "1": "new",
        "10": "open",
        "18": "pending",
        "6": "solved",
        "3": "closed",
        "7": "closed",
    },
}
AWAITING_CALLER = "1"  # incident's hold_reason: On Hold, Awaiting Caller is ticketbot's pending
CUSTOMER = {"incident": "caller_id", "sn_customerservice_case": "contact"}
PARENT = {"incident": "parent_incident", "sn_customerservice_case": "parent"}
# The customer's organisation: an incident's caller's company, a case's account (a customer
# the team knows, whom the spam gate never gates on its head's guess alone).
ORGANISATION = {"incident": "caller_id.company", "sn_customerservice_case": "account"}
# ticketbot's status -> the table's state (and an incident's hold reason).
STATE_OF = {
    "incident": {
        "new": "1",
        "open": "2",
        "pending": "3",
        "hold": "3",
        "solved": "6",
        "closed": "7",
    },
    "sn_customerservice_case": {
        "new": "1",
        "open": "10",
        "pending": "18",
        "hold": "18",
        "solved": "6",
        "closed": "3",
    },
}
NUMBERING = {"incident": ("INC", 7), "sn_customerservice_case": ("CS", 7)}

BASE_FIELDS = (
    "sys_id",
    "number",
    "short_description",
    "description",
    "state",
    "impact",
    "urgency",
    "priority",
    "category",
    "subcategory",
    "assignment_group",
    "assigned_to",
    "contact_type",
    "sys_created_on",
    "sys_updated_on",
    "sys_mod_count",
)


def fields_for(table: str, custom: tuple[str, ...] = ()) -> str:
    """``sysparm_fields`` for a ticket read: the columns ticketbot maps, the customer's name,
    e-mail, user name and language, the assignee's name and e-mail and the organisation
    through dotted walks, the watch list, and the ``u_`` columns it fills."""
    who = CUSTOMER[table]
    walked = (f"{who}.name", f"{who}.email", f"{who}.user_name", f"{who}.preferred_language")
    extra = ("hold_reason", "reopen_count") if table == "incident" else ()
    named = ("assigned_to.name", "assigned_to.email", "watch_list")
    names = (*BASE_FIELDS, who, *walked, *named, ORGANISATION[table], *extra, PARENT[table])
    names = (*names, *custom)
    return ",".join(dict.fromkeys(names))


def number_digits(number: object) -> int | None:
    digits = "".join(c for c in number if c.isdigit()) if isinstance(number, str) else ""
    return int(digits) if digits else None


def number_of(ticket_id: int, prefix: str, width: int) -> str:
    """The record's ``number`` for ticketbot's id: ``10001`` → ``INC0010001``."""
    return f"{prefix}{int(ticket_id):0{width}d}"


def sys_int(sys_id: object) -> int | None:
    """A sys_id as ticketbot's int id: its first 15 hex digits (60 bits)."""
    if not isinstance(sys_id, str) or len(sys_id) < 15:
        return None
    try:
        return int(sys_id[:15], 16)
    except ValueError:
        return None


def sys_prefix(value: int) -> str:
    """The first 15 hex digits of the sys_id whose ``sys_int`` is ``value``."""
    return f"{int(value):015x}"


def iso(stamp: object) -> str | None:
    """``2026-11-29 10:00:00`` (UTC, the API's value form) as ``2026-11-29T10:00:00Z``."""
    if not isinstance(stamp, str) or not stamp:
        return None
    return stamp.replace(" ", "T") + "Z" if "T" not in stamp else stamp


def glide(moment: int | float) -> str:
    """Unix seconds as the API's date value (UTC)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")


def glide_of(stamp: str) -> str:
    """An ISO time (``updated_at``) back in the API's date form."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return glide(moment.timestamp())


def status_of(table: str, row: dict[str, Any]) -> str:
    state = str(row.get("state") or "")
    word = STATES[table].get(state, "open")
    if table == "incident" and word == "hold" and row.get("hold_reason") == AWAITING_CALLER:
        return "pending"
    return word


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def people_of(table: str, row: dict[str, Any]) -> tuple[Person, ...]:
    """Whom the record names: its caller (a case's contact) first, the agent assigned and the
    addresses on its watch list (a user on it is a sys_id, its name not read); whose names and
    addresses are redacted before the LLM reads it."""
    who = CUSTOMER[table]
    caller = Person(name=_text(row.get(f"{who}.name")), email=_text(row.get(f"{who}.email")))
    others = (
        Person(name=_text(row.get("assigned_to.name")), email=_text(row.get("assigned_to.email"))),
        *(Person(email=entry.strip()) for entry in _text(row.get("watch_list")).split(",")),
    )
    named = tuple(person for person in others if person.name or "@" in person.email)
    if not named:
        return (caller,) if caller.name or caller.email else ()
    # The caller stays first even when unnamed: the first person is the one who asked.
    return (caller, *named)


def ticket_fields(
    table: str, row: dict[str, Any], tags: tuple[str, ...], custom: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A record in ``models.Ticket``'s names."""
    who = CUSTOMER[table]
    email = row.get(f"{who}.email")
    locale = row.get(f"{who}.preferred_language")
    contact = row.get("contact_type")
    return {
        "id": number_digits(row.get("number")),
        "subject": row.get("short_description") or "",
        "description": row.get("description") or "",
        "status": status_of(table, row),
        "priority": PRIORITY_FROM_SERVICENOW.get(str(row.get("priority") or "")),
        "tags": tags,
        "created_at": iso(row.get("sys_created_on")),
        "updated_at": iso(row.get("sys_updated_on")),
        "group_id": sys_int(row.get("assignment_group")),
        "assignee_id": sys_int(row.get("assigned_to")),
        "requester_id": sys_int(row.get(who)),
        "organization_id": sys_int(row.get(ORGANISATION[table])),
        "channel": CONTACT_CHANNEL.get(contact) if isinstance(contact, str) else None,
        "sender": email if isinstance(email, str) and email else None,
        "custom_fields": {key: row.get(key) or None for key in custom if key in row},
        "people": people_of(table, row),
        "requester_locale": locale if isinstance(locale, str) and locale else None,
    }


def parse_records(
    table: str,
    rows: list[dict[str, Any]],
    tags: dict[str, tuple[str, ...]],
    custom: tuple[str, ...] = (),
) -> tuple[list[Ticket], list[dict[str, Any]]]:
    """Records -> (tickets, malformed); ``tags``: each record's labels by its sys_id."""
    tickets: list[Ticket] = []
    malformed: list[dict[str, Any]] = []
    for row in rows:
        try:
            fields = ticket_fields(table, row, tags.get(str(row.get("sys_id")), ()), custom)
            tickets.append(Ticket.model_validate(fields))
        except (ValidationError, TypeError, ValueError):
            malformed.append(row)
    return tickets, malformed


def update_body(
    table: str,
    change: WriteBack,
    current: Ticket,
    *,
    group: str | None,
    assignee: str | None,
    columns: frozenset[str],
) -> dict[str, Any]:
    """The ``PATCH`` body for ``change`` on ``current`` as just read, the note aside: impact and
    urgency for a priority (never ``priority``: the instance computes it), the group and the
    assignee as sys_ids (``group``/``assignee``, found from their ids), and the ``u_`` columns
    the table has (``columns``); a custom field the table lacks is left out."""
    body: dict[str, Any] = {}
    if change.priority is not None and current.priority != change.priority.value:
        body["impact"], body["urgency"] = IMPACT_URGENCY[change.priority]
    elif change.clear_priority and current.priority is not None:
        body["impact"], body["urgency"] = DEFAULT_IMPACT_URGENCY
    if group is not None and change.group_id != current.group_id:
        body["assignment_group"] = group
    elif change.clear_group and current.group_id is not None:
        body["assignment_group"] = ""
    if assignee is not None and change.assignee_id != current.assignee_id:
        body["assigned_to"] = assignee
    for key, value in change.custom_fields.items():
        if key in columns:
            body[key] = "" if value is None else str(value)
    return body


def fit_subcategory(
    body: dict[str, Any], current: dict[str, Any], allowed: dict[str, set[str]]
) -> dict[str, Any]:
    """``body`` without a subcategory its category (the one written, else the record's) does
    not list in ``sys_choice``, and with the record's subcategory cleared when a new category
    no longer lists it: an instance stores a mismatched pair, which agents then see as blank."""
    category = str(body.get("category", current.get("category")) or "")
    if "subcategory" in body and body["subcategory"] not in allowed.get(category, set()):
        body = {k: v for k, v in body.items() if k != "subcategory"}
    old = str(current.get("subcategory") or "")
    if "category" in body and "subcategory" not in body and old not in allowed.get(category, {old}):
        body = {**body, "subcategory": ""}
    return body


def tag_changes(change: WriteBack, current: Ticket) -> tuple[list[str], list[str]]:
    """(labels to add, labels to take off): ours the ticket lacks, a revert's it has."""
    have = set(current.tags)
    add = [t for t in dict.fromkeys(change.additional_tags) if t not in have]
    remove = [t for t in dict.fromkeys(change.remove_tags) if t in have]
    return add, remove
