"""Seeding ServiceNow: the sample tickets as records of the ticket table, one ``POST`` each.

Each sample's customer is a ``sys_user`` found by e-mail (in ticketbot's own sandbox, made when
missing; on a real instance users come from its directory, so a sample whose customer is not
there has no caller); its priority is written as impact and urgency (the instance computes
``priority``), its tags as labels. A record an earlier seed made (same caller e-mail and short
description) is not made again. The sandbox starts with the sample groups and the help centre
(``kb_knowledge``), so beside the sample record templates and their solved history
(``seed_macros``) nothing else is made here: the groups are read back by name for routing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from ...errors import AuthError, HelpdeskError
from ...models import Helpdesk, Priority
from ..samples import SAMPLE_GROUPS, SeedOutcome, SeedResult, SeedTicket, requester_of
from .adapter import ServiceNowHelpdesk
from .records import CUSTOMER, IMPACT_URGENCY, number_digits, sys_int
from .seed_macros import seed_templates
from .wire import TABLE_API, ServiceNowTransport, result_row


def to_servicenow(table: str, ticket: SeedTicket, *, caller: str | None) -> dict[str, Any]:
    """The create body: a new record from ``caller`` (a sys_id), by e-mail."""
    impact, urgency = IMPACT_URGENCY[Priority(ticket.priority)] if ticket.priority else ("3", "3")
    fields: dict[str, Any] = {
        "short_description": ticket.subject or "(no subject)",
        "description": ticket.description,
        "contact_type": "email",
        "impact": impact,
        "urgency": urgency,
    }
    if caller:
        fields[CUSTOMER[table]] = caller
    return fields


def _users(http: ServiceNowTransport, emails: Sequence[str], create: bool) -> dict[str, str]:
    """sys_ids by e-mail (lower case); in the sandbox the missing ones are made."""
    found: dict[str, str] = {}
    wanted = sorted({e.lower() for e in emails})
    for start in range(0, len(wanted), 100):
        chunk = ",".join(wanted[start : start + 100])
        for row in http.every("sys_user", f"emailIN{chunk}", "sys_id,email"):
            if isinstance(row.get("email"), str) and isinstance(row.get("sys_id"), str):
                found[row["email"].lower()] = row["sys_id"]
    for email in wanted:
        if email not in found and create:
            name = email.split("@")[0]
            body = {"user_name": email, "email": email, "name": name.replace(".", " ").title()}
            made = result_row(
                http.request("POST", f"{TABLE_API}/sys_user", json=body, replay_safe=False).body
            )
            if isinstance(made.get("sys_id"), str):
                found[email] = made["sys_id"]
    return found


def _seeded(helpdesk: ServiceNowHelpdesk) -> set[tuple[str, str]]:
    who = CUSTOMER[helpdesk.table]
    fields = f"short_description,{who}.email"
    rows = helpdesk.http.every(helpdesk.table, "ORDERBYsys_created_on", fields, page=1000)
    return {
        (str(r.get(f"{who}.email") or "").lower(), str(r.get("short_description") or ""))
        for r in rows
    }


def create_tickets(
    helpdesk: ServiceNowHelpdesk,
    tickets: Sequence[SeedTicket],
    *,
    sandbox: bool,
    on_progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Create the ``tickets`` an earlier seed did not, one at a time so their numbers follow
    the input's order; a record refused is reported failed and the rest go on."""
    http, table = helpdesk.http, helpdesk.table
    result = SeedResult()
    there = _seeded(helpdesk)
    emails = [requester_of(p, t).lower() for p, t in enumerate(tickets, start=1)]
    wanted = [
        i for i, t in enumerate(tickets) if (emails[i], t.subject or "(no subject)") not in there
    ]
    result.existing = len(tickets) - len(wanted)
    if on_progress is not None and result.existing:
        on_progress(result.existing)
    callers = _users(http, [emails[i] for i in wanted], create=sandbox)
    for i in wanted:
        body = to_servicenow(table, tickets[i], caller=callers.get(emails[i]))
        try:
            # A create is not replayed after a broken connection: it could make two records.
            made = result_row(
                http.request("POST", f"{TABLE_API}/{table}", json=body, replay_safe=False).body
            )
            ticket_id = number_digits(made.get("number"))
            if ticket_id is None or not isinstance(made.get("sys_id"), str):
                raise HelpdeskError("ServiceNow created a record without a number")
            helpdesk.labels.add(made["sys_id"], list(tickets[i].tags))
        except HelpdeskError as exc:
            if isinstance(exc, AuthError):
                raise
            result.failed.append((tickets[i], str(exc)))
        else:
            result.created_ids.append(ticket_id)
        finally:
            if on_progress is not None:
                on_progress(1)
    return result


def _own_sandbox(http: ServiceNowTransport) -> bool:
    host = urlsplit(http.base_url).hostname or ""
    return http.sandbox_kind == "servicenow" or host in ("127.0.0.1", "localhost", "::1")


def _sample_agent(http: ServiceNowTransport) -> str | None:
    """The user_name of one of the sample agents (never the user ticketbot signs in as, whose
    replies the history leaves out): who answered the sample history."""
    emails = sorted({email for members in SAMPLE_GROUPS.values() for _, email in members})
    rows = http.every("sys_user", f"active=true^emailIN{','.join(emails)}", "user_name,email")
    names = {str(r.get("email")): str(r["user_name"]) for r in rows if r.get("user_name")}
    return next((names[e] for e in emails if e in names), None)


def seed(
    helpdesk: Helpdesk,
    tickets: Sequence[SeedTicket],
    *,
    samples: bool,
    on_progress: Callable[[int], None] | None = None,
) -> SeedOutcome:
    """The registry's ``Seeder`` for ServiceNow: the records; on this machine the sample
    groups read back by name (the sandbox starts with them and with its help centre)."""
    if not isinstance(helpdesk, ServiceNowHelpdesk):  # TICKETBOT_HELPDESK decides: a bug
        raise TypeError("the ServiceNow seed needs the ServiceNow adapter")
    http = helpdesk.http
    http.request("GET", f"{TABLE_API}/sys_number", params={"sysparm_limit": "1"})
    sandbox = _own_sandbox(http)
    outcome = SeedOutcome(
        create_tickets(helpdesk, tickets, sandbox=sandbox, on_progress=on_progress)
    )
    if sandbox:
        outcome.groups = {
            str(row.get("name")): group
            for row in http.every("sys_user_group", "active=true", "sys_id,name")
            if (group := sys_int(row.get("sys_id"))) is not None
        }
    if samples and http.sandbox_kind == "servicenow":
        query = "workflow_state=published"
        outcome.articles = sum(1 for _ in http.every("kb_knowledge", query, "sys_id"))
        agent = _sample_agent(http)
        made = seed_templates(http, helpdesk.table, agent, lambda e: _users(http, e, True))
        outcome.said += made.lines()
    return outcome
