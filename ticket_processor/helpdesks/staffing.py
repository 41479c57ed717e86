"""Who can answer a ticket, as a helpdesk keeps it: the ``StaffingDesk`` capability and its words.

A kind whose adapter has ``staffing()`` offers its agents (their groups, skills, availability and
capacity where it keeps them), the skills it routes by, each agent's open tickets, the customer's
organisation, the skills set on a ticket, and the two writes the assignment and the two-way reply
need (an agent's public reply posted in their name, an internal note), and the groups' business
hours, which say who is at work where the helpdesk keeps no availability. A skill is named as the
helpdesk's admins name it: a routing attribute's value on one kind ("Portuguese", of the attribute
"Language"), a skill's name on another. ``assignment/`` decides; only the kind's folder speaks its
HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .sla import Schedule


@dataclass(frozen=True)
class Staff:
    """An agent as routing sees them. ``available``: the helpdesk's own state now (None: it
    keeps none, and the group's business hours say); ``capacity``: the open tickets the
    helpdesk lets them hold (None: it keeps no capacity of its own, the team's
    ``TICKETBOT_AGENT_CAPACITY`` applies)."""

    id: int
    name: str
    group_ids: tuple[int, ...] = ()
    skills: frozenset[str] = frozenset()
    available: bool | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class SkillCatalogue:
    """The skills the helpdesk routes by: each skill's name by the attribute it belongs to
    (a kind with plain skills files them all under ``""``)."""

    by_attribute: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def names(self) -> frozenset[str]:
        return frozenset(v for values in self.by_attribute.values() for v in values)

    def of(self, attribute: str) -> tuple[str, ...]:
        """The values of the attribute called ``attribute`` (any case); () when none."""
        for name, values in self.by_attribute.items():
            if name.casefold() == attribute.casefold():
                return values
        return ()


@dataclass(frozen=True)
class Organisation:
    """The customer's organisation or company: its fields (as text) and tags."""

    id: int
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgentNote:
    """An internal note on a ticket and the person who wrote it (never ticketbot's own)."""

    id: int
    author_id: int
    body: str


@dataclass(frozen=True)
class PublicMessage:
    """A public message on a ticket: who wrote it, what it says."""

    author_id: int | None
    body: str


class StaffingDesk(Protocol):
    """What the assignment and the two-way reply read and write, beside ``Helpdesk``."""

    def staff(self) -> list[Staff]:
        """Every active agent with their groups, skills, availability and capacity."""
        ...

    def catalogue(self) -> SkillCatalogue: ...

    def business_hours(self, group_id: int) -> Schedule | None:
        """The group's business hours (the account's where the group has none of its own);
        None: the helpdesk keeps no schedule."""
        ...

    def open_load(self, agent_ids: Sequence[int]) -> dict[int, int]:
        """Each agent's open (unsolved) tickets assigned to them, counted by the helpdesk."""
        ...

    def organisation(self, organisation_id: int) -> Organisation | None: ...

    def ticket_skills(self, ticket_id: int) -> tuple[str, ...]:
        """The skills set on the ticket for the helpdesk's own routing."""
        ...

    def set_ticket_skills(self, ticket_id: int, skills: Sequence[str]) -> None:
        """The ticket's skills become ``skills`` (names in the catalogue; others ignored)."""
        ...

    def assign(self, ticket_id: int, agent_id: int | None, group_id: int | None) -> None:
        """The ticket's assignee (None: none) in ``group_id`` (None: its group kept)."""
        ...

    def agent_notes(self, ticket_id: int) -> list[AgentNote]:
        """The ticket's internal notes written by people, oldest first."""
        ...

    def public_messages(self, ticket_id: int) -> list[PublicMessage]:
        """The ticket's public messages after its first, oldest first."""
        ...

    def reply_as(self, ticket_id: int, agent_id: int, body: str) -> None:
        """A public reply to the customer in the agent's name. Never replayed: a lost answer
        is settled by reading ``public_messages`` before sending again."""
        ...

    def note(self, ticket_id: int, body: str) -> None:
        """An internal note from ticketbot's user."""
        ...
