"""Seeding Zendesk's sample macros and the solved history that uses them (ticketbot's own
sandbox only: a real account's macros and tickets are the team's). The macros go through the
Macros API, the history through the Ticket Import API with each reply written by one of the
sample agents (``author_id``, ``public``), as a team's past tickets would be."""

from __future__ import annotations

from ..sample_replies import SeededReplies, sample_replies
from .client import ZendeskClient

# What ``seed`` calls them, in the helpdesk's words.
_NOUN, _READER = "sample macros", "`ticketbot macros sync`"


def seed_macros(client: ZendeskClient, agent_id: int | None) -> SeededReplies:
    """The sample macros and, with an agent to have answered them, the solved history; how
    many macros were made and the history's ticket ids (none when the account already has
    macros: a second seed adds nothing)."""
    if client.paged("/api/v2/macros.json", "macros"):
        return SeededReplies(0, noun=_NOUN, reader=_READER)
    macros, solved = sample_replies()
    http = client.http
    for macro in macros:
        actions = [{"field": "comment_value", "value": macro.text}]
        body = {"macro": {"title": macro.title, "actions": actions}}
        http.request("POST", "/api/v2/macros.json", json=body, replay_safe=False)
    if agent_id is None:
        return SeededReplies(len(macros), noun=_NOUN, reader=_READER)
    solved_ids: list[int] = []
    for n, ticket in enumerate(solved, start=1):
        imported = {
            "subject": ticket.subject,
            "requester": {"name": f"Past Customer {n}", "email": f"past{n}@example.com"},
            "status": "solved",
            "comments": [
                {"value": ticket.description},
                {"value": ticket.reply, "author_id": agent_id, "public": True},
            ],
        }
        made = http.request(
            "POST", "/api/v2/imports/tickets.json", json={"ticket": imported}, replay_safe=False
        )
        solved_ids.append(int(made["ticket"]["id"]))
    return SeededReplies(len(macros), tuple(solved_ids), noun=_NOUN, reader=_READER)
