"""The agent a Freshdesk ticket names (``responder_id``), by name, among the people whose
names are redacted before the LLM reads the ticket.

A Freshdesk ticket carries its responder's id only; the agents are listed once (one paged
``GET /agents``, the first time a ticket with a responder is met) rather than read a ticket at
a time. A list that cannot be read is said once in the log, and the tickets keep the people
they came with (the requester, the CC addresses).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from ...errors import HelpdeskError
from ...models import Agent, Conversation, Person, Ticket

log = logging.getLogger(__name__)

# A ticket read whose text the engines judge asks for its requester's name too (a credit more).
WITH_REQUESTER = {"include": "requester"}


class AgentNames:
    """Adds a ticket's agent to its ``people``; thread-safe."""

    def __init__(self, agents: Callable[[], list[Agent]]) -> None:
        self._agents = agents
        self._lock = threading.Lock()
        self._by_id: dict[int, Person] | None = None

    def add(self, ticket: Ticket) -> Ticket:
        if ticket.assignee_id is None:
            return ticket
        with self._lock:
            if self._by_id is None:
                try:
                    listed = self._agents()
                except HelpdeskError as exc:
                    log.warning("agents' names not read (%s): they are not redacted", exc)
                    listed = []
                self._by_id = {a.id: Person(name=a.name, email=a.email or "") for a in listed}
            agent = self._by_id.get(ticket.assignee_id)
        if agent is None or agent in ticket.people:
            return ticket
        return ticket.model_copy(update={"people": (*ticket.people, agent)})

    def on(self, conversation: Conversation) -> Conversation:
        """``conversation`` with its ticket's agent among the ticket's people: a reply's triage
        and the summary's thread redact the agent's name as a first message's triage does."""
        return replace(conversation, ticket=self.add(conversation.ticket))
