"""Seeding ServiceNow's sample record templates and the solved history that uses them
(ticketbot's own sandbox only): each sample ready-made reply as a ``sys_template`` of the ticket
table whose ``comments`` is its text; each solved ticket a record of a past customer of its own,
answered by one of the sample agents and resolved, as a team's past records would be.

An agent's reply must be that agent's journal entry, and through the Table API every entry is
written by the integration user itself (``sys_created_by`` is the instance's to set), which the
history leaves out as ticketbot's own. So the reply goes through the sandbox's
``/sandbox/journal`` (an entry written as a named user, as the Zendesk and Freshdesk seeds
write theirs through those sandboxes' import paths); the record and its resolution through the
Table API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..sample_replies import SeededReplies, sample_replies
from .records import CUSTOMER, number_digits
from .wire import TABLE_API, ServiceNowTransport, result_row

# What ``seed`` calls them, in the helpdesk's words.
_NOUN, _READER = "sample record templates", "`ticketbot macros sync`"


# How a past record ends: resolved, with what each table asks of a resolution.
RESOLVED = {
    "incident": {"state": "6", "close_code": "Solution provided", "close_notes": "Answered"},
    "sn_customerservice_case": {"state": "6", "close_notes": "Answered"},
}


def seed_templates(
    http: ServiceNowTransport,
    table: str,
    agent: str | None,
    callers: Callable[[Sequence[str]], dict[str, str]],
) -> SeededReplies:
    """The sample templates the instance does not have yet (by name) and, when it had none of
    them and there is an ``agent`` (a user_name) to have answered, the solved history (the
    customers' sys_ids by e-mail from ``callers``); how many templates were made and the
    history's ticket ids."""
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
    if agent is None or made < len(macros):  # a second seed adds no second history
        return SeededReplies(made, noun=_NOUN, reader=_READER)
    return SeededReplies(made, _solved(http, table, agent, callers), noun=_NOUN, reader=_READER)


def _solved(
    http: ServiceNowTransport,
    table: str,
    agent: str,
    callers: Callable[[Sequence[str]], dict[str, str]],
) -> tuple[int, ...]:
    _, solved = sample_replies()
    emails = [f"past{n}@example.com" for n in range(1, len(solved) + 1)]
    found = callers(emails)
    ids = []
    for email, ticket in zip(emails, solved, strict=True):
        body = {"short_description": ticket.subject, "description": ticket.description}
        if email in found:
            body[CUSTOMER[table]] = found[email]
        made = result_row(
            http.request("POST", f"{TABLE_API}/{table}", json=body, replay_safe=False).body
        )
        ticket_id, sys_id = number_digits(made.get("number")), made.get("sys_id")
        if ticket_id is None or not isinstance(sys_id, str):
            continue
        reply = {"table": table, "ticket_id": ticket_id, "value": ticket.reply, "user_name": agent}
        http.request("POST", "/sandbox/journal", json=reply, replay_safe=False)
        path = f"{TABLE_API}/{table}/{sys_id}"
        http.request("PATCH", path, json=RESOLVED[table], replay_safe=False)
        ids.append(ticket_id)
    return tuple(ids)
