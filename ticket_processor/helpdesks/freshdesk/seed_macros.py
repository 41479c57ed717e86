"""Seeding Freshdesk's sample canned responses and the solved history that uses them
(ticketbot's own sandbox only). The responses go into the built-in "General" folder; each
solved ticket is created, answered by one of the sample agents (``user_id`` on the reply) and
resolved, as a team's past tickets would be."""

from __future__ import annotations

from ..sample_replies import SeededReplies, sample_replies
from .wire import FreshdeskTransport

RESOLVED = 4

# What ``seed`` calls them, in the helpdesk's words.
_NOUN, _READER = "sample macros", "`ticketbot macros sync`"


def _general_folder(http: FreshdeskTransport) -> int | None:
    for page in http.pages("/api/v2/canned_response_folders"):
        for folder in page:
            if isinstance(folder, dict) and not folder.get("personal"):
                if folder.get("responses_count"):
                    return None  # the account has canned responses: a second seed adds none
                if folder.get("name") == "General":
                    return int(folder["id"])
    return None


def seed_canned_responses(http: FreshdeskTransport, agent_id: int | None) -> SeededReplies:
    """The sample canned responses and, with an agent to have answered them, the solved
    history; how many responses were made and the history's ticket ids."""
    folder = _general_folder(http)
    if folder is None:
        return SeededReplies(0, noun=_NOUN, reader=_READER)
    macros, solved = sample_replies()
    for macro in macros:
        body = {"title": macro.title, "content_html": f"<p>{macro.text}</p>", "folder_id": folder}
        http.request("POST", "/api/v2/canned_responses", json=body, replay_safe=False)
    if agent_id is None:
        return SeededReplies(len(macros), noun=_NOUN, reader=_READER)
    solved_ids: list[int] = []
    for n, ticket in enumerate(solved, start=1):
        made = http.request(
            "POST",
            "/api/v2/tickets",
            json={
                "subject": ticket.subject,
                "description": f"<p>{ticket.description}</p>",
                "email": f"past{n}@example.com",
                "status": 2,
                "priority": 1,
            },
            replay_safe=False,
        )
        ticket_id = int(made.body["id"])
        solved_ids.append(ticket_id)
        reply = {"body": ticket.reply.replace("\n", "<br>"), "user_id": agent_id}
        http.request("POST", f"/api/v2/tickets/{ticket_id}/reply", json=reply, replay_safe=False)
        http.request(
            "PUT", f"/api/v2/tickets/{ticket_id}", json={"status": RESOLVED}, replay_safe=False
        )
    return SeededReplies(len(macros), tuple(solved_ids), noun=_NOUN, reader=_READER)
