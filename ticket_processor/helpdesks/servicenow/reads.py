"""ServiceNow reads for notes, routing, the spam gate and the help centre: journal entries,
counts, a caller's solved records, groups, agents, the table's custom columns, articles, and
the probe (who ticketbot signs in as).

Functions of a ``ServiceNowTransport``; ``ServiceNowHelpdesk`` delegates to them. Groups are
``sys_user_group`` rows, agents the users who are members of one (``sys_user_grmember``).
Articles are ``kb_knowledge``: published ones are indexed, any other state (draft, retired,
outdated …) is ``removed``, one with user criteria of its own (Can Read, Cannot Read) is
``internal``; with ``since`` only those changed since (``sys_updated_on``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from ...errors import AuthError, HelpdeskError, NotFoundError, RecordInvalidError
from ...models import (
    Agent,
    Article,
    ArticleListing,
    ArticleVisibility,
    FieldOption,
    Group,
    HelpdeskField,
    Probe,
)
from .kind import KIND
from .records import glide, iso, number_digits, sys_int
from .wire import TABLE_API, ServiceNowTransport, result_rows

JOURNAL_FIELDS = "sys_id,element_id,element,value,sys_created_on,sys_created_by"
_TAG = re.compile(r"<[^>]+>")


def journal(
    http: ServiceNowTransport, table: str, sys_ids: Sequence[str], element: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The journal entries (``sys_journal_field``) of these records, oldest first, by record.

    Ordered by ``sys_created_on`` alone: entries of one second keep the order the instance
    stored them in (a sys_id is random and would put a caller's comment before the note
    ticketbot wrote earlier in that second, as if the note had answered it)."""
    found: dict[str, list[dict[str, Any]]] = {s: [] for s in sys_ids}
    wanted = [s for s in dict.fromkeys(sys_ids) if s]
    which = f"^element={element}" if element else "^elementINcomments,work_notes"
    for start in range(0, len(wanted), 100):
        chunk = ",".join(wanted[start : start + 100])
        query = f"name={table}^element_idIN{chunk}{which}^ORDERBYsys_created_on"
        for row in http.every("sys_journal_field", query, JOURNAL_FIELDS, page=1000):
            key = row.get("element_id")
            if isinstance(key, str) and key in found:
                found[key].append(row)
    return found


def work_notes(http: ServiceNowTransport, table: str, sys_id: str) -> list[str]:
    return [str(r.get("value") or "") for r in journal(http, table, [sys_id], "work_notes")[sys_id]]


def total(http: ServiceNowTransport, table: str, query: str) -> int | None:
    """How many records ``query`` matches, from one request's ``X-Total-Count``."""
    params = {"sysparm_query": query, "sysparm_fields": "sys_id", "sysparm_limit": "1"}
    answer = http.request("GET", f"{TABLE_API}/{table}", params=params)
    try:
        return int(answer.headers.get("X-Total-Count", ""))
    except ValueError:
        return None


def count_open_before(http: ServiceNowTransport, table: str, moment: int, done: str) -> int | None:
    return total(http, table, f"active=true^stateNOT IN{done}^sys_updated_on<{glide(moment)}")


def groups(http: ServiceNowTransport) -> list[Group]:
    found = []
    for row in http.every("sys_user_group", "active=true^ORDERBYname", "sys_id,name"):
        group_id = sys_int(row.get("sys_id"))
        if group_id is not None:
            found.append(Group(group_id, str(row.get("name") or "")))
    return found


def agents(http: ServiceNowTransport) -> list[Agent]:
    """The active users who are members of an active group, with their groups."""
    members: dict[str, list[int]] = {}
    query = "group.active=true^user.active=true"
    for row in http.every("sys_user_grmember", query, "user,group", page=1000):
        user, group = row.get("user"), sys_int(row.get("group"))
        if isinstance(user, str) and user and group is not None:
            members.setdefault(user, []).append(group)
    found = []
    users = list(members)
    for start in range(0, len(users), 100):
        chunk = ",".join(users[start : start + 100])
        for row in http.every("sys_user", f"sys_idIN{chunk}", "sys_id,name,email"):
            agent_id = sys_int(row.get("sys_id"))
            if agent_id is None:
                continue
            email = row.get("email")
            found.append(
                Agent(
                    agent_id,
                    str(row.get("name") or ""),
                    email if isinstance(email, str) and email else None,
                    tuple(members.get(str(row["sys_id"]), ())),
                )
            )
    return found


def custom_columns(http: ServiceNowTransport, table: str) -> list[HelpdeskField]:
    """The fields ticketbot may fill: ``category`` and ``subcategory`` (drop-downs of their
    active ``sys_choice`` values) and the table's ``u_`` columns."""
    return [*choice_columns(http, table), *u_columns(http, table)]


def choice_columns(http: ServiceNowTransport, table: str) -> list[HelpdeskField]:
    found = []
    for column, title in (("category", "Category"), ("subcategory", "Subcategory")):
        options = tuple(dict.fromkeys(choices(http, table, column)))
        if options:
            found.append(HelpdeskField(column, title, "dropdown", options))
    return found


def subcategories(http: ServiceNowTransport, table: str) -> dict[str, set[str]]:
    """Each category's active subcategory values (``sys_choice``'s ``dependent_value``)."""
    query = f"name={table}^element=subcategory^inactive=false^language=en"
    found: dict[str, set[str]] = {}
    for row in http.every("sys_choice", query, "value,dependent_value", page=1000):
        found.setdefault(str(row.get("dependent_value") or ""), set()).add(str(row.get("value")))
    return found


def u_columns(http: ServiceNowTransport, table: str) -> list[HelpdeskField]:
    """The table's ``u_`` columns: from ``sys_dictionary`` (their labels and types, a choice
    column's options from ``sys_choice``, who sees and edits each from its field ACLs: see
    ``column_audience``); where the account may not read the dictionary, the ``u_`` columns
    one record shows, each a text field."""
    try:
        rows = list(
            http.every(
                "sys_dictionary",
                f"name={table}^elementSTARTSWITHu_^active=true",
                "element,column_label,internal_type,choice",
            )
        )
    except (AuthError, NotFoundError, RecordInvalidError):
        rows = []
    if not rows:
        sample = http.rows(table, {"sysparm_limit": "1"})
        keys = [key for key in (sample[0] if sample else {}) if key.startswith("u_")]
        rows = [
            {"element": key, "column_label": _title(key), "internal_type": "string"} for key in keys
        ]
    audience = column_audience(http, table)
    found = []
    for row in rows:
        key = str(row.get("element") or "")
        if not key:
            continue
        kind = str(row.get("internal_type") or "")
        options: tuple[FieldOption, ...] = ()
        if str(row.get("choice") or "0") not in ("", "0"):
            options, kind = choices(http, table, key), "dropdown"
        elif kind in ("string", "html", "journal_input"):
            kind = "text"
        shown, editable = audience.get(key, (True, True)) if audience is not None else (True, False)
        found.append(
            HelpdeskField(
                key,
                str(row.get("column_label") or key),
                kind,
                options,
                shown_to_customers=shown,
                customers_can_edit=editable,
                audience_hint="" if audience is not None else _unknown_audience(table, key),
            )
        )
    return found


# The roles that make an ACL agents-only: a caller (a customer, snc_external or no role at all)
# holds none of them.
AGENT_ROLES = frozenset({"itil", "sn_customerservice_agent", "admin"})


def column_audience(http: ServiceNowTransport, table: str) -> dict[str, tuple[bool, bool]] | None:
    """Each ``u_`` column's (customers see it, customers may edit it), as the instance's
    field-level ACLs (``sys_security_acl`` named ``<table>.<column>``, their roles in
    ``sys_security_acl_role``) decide: a column is agents-only for an operation when it has an
    active ACL for it and every such ACL requires an agent role (ACLs on one column are
    alternatives, and an ACL's roles are too: a customer passes one without roles, or with a
    role of theirs). A column without one is the table's: a caller reads and writes their own
    record's. None: the account may not read the ACLs (only admins may)."""
    try:
        acls = list(
            http.every(
                "sys_security_acl",
                f"nameSTARTSWITH{table}.u_^active=true",
                "sys_id,name,operation",
                sysparm_display_value="true",  # the operation's name, not its reference
            )
        )
        required: dict[str, set[str]] = {str(a.get("sys_id")): set() for a in acls}
        if required:
            for held in http.every(
                "sys_security_acl_role",
                f"sys_security_aclIN{','.join(required)}",
                "sys_security_acl,sys_user_role.name",
            ):
                roles = required.get(str(held.get("sys_security_acl")))
                if roles is not None:
                    roles.add(str(held.get("sys_user_role.name") or ""))
    except (AuthError, NotFoundError, RecordInvalidError):
        return None
    agents_only: dict[tuple[str, str], bool] = {}
    for acl in acls:
        column = str(acl.get("name") or "").removeprefix(f"{table}.")
        guarded = (column, str(acl.get("operation") or ""))
        roles = required[str(acl.get("sys_id"))]
        closed = bool(roles) and roles <= AGENT_ROLES
        agents_only[guarded] = agents_only.get(guarded, True) and closed
    columns = {column for column, _ in agents_only}
    return {
        column: (
            not agents_only.get((column, "read"), False),
            not agents_only.get((column, "write"), False),
        )
        for column in columns
    }


def _title(key: str) -> str:
    return key.removeprefix("u_").replace("_", " ").capitalize()


def _unknown_audience(table: str, column: str) -> str:
    return (
        "the integration user may not read the instance's access controls (sys_security_acl: "
        "admins only), so ticketbot cannot tell whether callers see this column and takes it "
        f"that they may; to keep it to agents, add a read ACL on {table}.{column} requiring "
        "the itil role, and give ticketbot's user the admin role so it can read that ACL"
    )


def choices(
    http: ServiceNowTransport, table: str, element: str, parent: str = ""
) -> tuple[FieldOption, ...]:
    """A choice column's active options (``sys_choice``); ``parent``: a dependent column's
    (subcategory's) options of that category only."""
    query = f"name={table}^element={element}^inactive=false^language=en"
    if parent:
        query += f"^dependent_value={parent}"
    rows = http.every("sys_choice", query + "^ORDERBYsequence", "value,label")
    return tuple(
        FieldOption(str(r.get("label") or r.get("value")), str(r.get("value")))
        for r in rows
        if r.get("value")
    )


def plain_text(body: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</h\d>", "\n", body)
    return html.unescape(_TAG.sub("", text)).strip()


def knowledge_bases(http: ServiceNowTransport, wanted: Sequence[str]) -> list[str]:
    """The sys_ids of the knowledge bases named by title or sys_id."""
    found = []
    for row in http.every("kb_knowledge_base", "", "sys_id,title"):
        if row.get("sys_id") in wanted or row.get("title") in wanted:
            found.append(str(row["sys_id"]))
    if not found:
        raise HelpdeskError(
            f"none of SERVICENOW_KNOWLEDGE_BASES ({', '.join(wanted)}) is a knowledge base the "
            "integration user can read: name them by title or sys_id"
        )
    return found


def articles(http: ServiceNowTransport, bases: Sequence[str], since: int | None) -> ArticleListing:
    query = f"kb_knowledge_baseIN{','.join(knowledge_bases(http, bases))}" if bases else ""
    if since is not None:
        query += ("^" if query else "") + f"sys_updated_on>={glide(since)}"
    else:  # the whole help centre: what is not published is simply not listed
        query += ("^" if query else "") + "workflow_state=published"
    return ArticleListing(_articles(http, query + "^ORDERBYsys_updated_on"), complete=since is None)


def _articles(http: ServiceNowTransport, query: str) -> Iterator[Article]:
    fields = (
        "sys_id,number,short_description,text,workflow_state,language,sys_updated_on,active,"
        "can_read_user_criteria,cannot_read_user_criteria"
    )
    for row in http.every("kb_knowledge", query, fields):
        article_id = number_digits(row.get("number"))
        if article_id is None:
            continue
        yield Article(
            id=article_id,
            title=str(row.get("short_description") or ""),
            body=plain_text(str(row.get("text") or "")),
            url=f"{http.base_url}/kb_view.do?sysparm_article={row.get('number')}",
            locale=str(row.get("language") or "en"),
            updated_at=iso(row.get("sys_updated_on")) or "",
            visibility=_visibility(row),
            removed=row.get("workflow_state") != "published" or row.get("active") == "false",
        )


def _visibility(row: dict[str, Any]) -> ArticleVisibility:
    """An article whose own user criteria name who may (or may not) read it is for those
    readers only: ``internal``, never quoted to a customer whom ticketbot cannot check against
    them. Without criteria (or on an instance whose articles have no such columns) it is the
    knowledge base's, read as everyone's."""
    if row.get("can_read_user_criteria") or row.get("cannot_read_user_criteria"):
        return "internal"
    return "everyone"


def sys_id_of(http: ServiceNowTransport, table: str, value: int) -> str | None:
    """The sys_id of the ``table`` record whose ``sys_int`` is ``value`` (None: none)."""
    rows = result_rows(
        http.request(
            "GET",
            f"{TABLE_API}/{table}",
            params={
                "sysparm_query": f"sys_idSTARTSWITH{int(value):015x}",
                "sysparm_fields": "sys_id",
                "sysparm_limit": "1",
            },
        ).body
    )
    found = rows[0].get("sys_id") if rows else None
    return found if isinstance(found, str) else None


def probe(http: ServiceNowTransport, user: str | None, table: str) -> Probe:
    """Who ticketbot signs in as (``user``: the setting's user name, None under OAuth's client
    credentials), or why it cannot."""
    query = f"user_name={user}" if user else "active=true"
    try:
        answer = http.request(
            "GET",
            f"{TABLE_API}/sys_user",
            params={
                "sysparm_query": query,
                "sysparm_fields": "user_name,name,email",
                "sysparm_limit": "1",
            },
        )
    except HelpdeskError as exc:
        return Probe(False, str(exc), refused=isinstance(exc, AuthError))
    rows = answer.body.get("result") if isinstance(answer.body, dict) else None
    row = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
    # Without a user name (OAuth's client credentials) the listed user is anyone's: the
    # client is named instead.
    name = (row.get("user_name") if user else None) or user or "an OAuth client"
    said = f"signed in as {name}"
    sandbox = answer.sandbox == KIND.name
    return Probe(True, said, sandbox=sandbox, account={"user_name": name, "table": table})
