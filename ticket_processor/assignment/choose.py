"""Which agent takes a ticket: pure, from the staff as the helpdesk shows them and their loads.

An agent of the ticket's group who is available now (the helpdesk's state; one whose helpdesk
keeps none is available in the group's business hours, ``in_hours``, and always where the
helpdesk keeps no schedule either), has every skill the ticket needs, and holds fewer open tickets
than their capacity (the helpdesk's, else the team's ``TICKETBOT_AGENT_CAPACITY``): the least
loaded of them, the lower id on a tie. None fits: no one, and the reason names the skill no
available agent of the group has (or says they are all at capacity).

``assign_batch`` takes a batch in the order the queue is served: VIP tickets first, then the
oldest, each assignment counting in the loads the next one sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..helpdesks.staffing import Staff


@dataclass(frozen=True)
class Need:
    """A ticket waiting for an agent: its group, the skills it needs, its customer's tier."""

    ticket_id: int
    group_id: int
    skills: tuple[str, ...]
    vip: bool = False
    created_at: str = ""


@dataclass(frozen=True)
class Pick:
    """The agent chosen (None: nobody fits, ``reason`` says why)."""

    ticket_id: int
    agent: Staff | None
    reason: str = ""


def _has(agent: Staff, skill: str) -> bool:
    return skill.casefold() in {s.casefold() for s in agent.skills}


def choose(
    need: Need,
    staff: Sequence[Staff],
    loads: Mapping[int, int],
    default_capacity: int,
    in_hours: Mapping[int, bool] | None = None,
) -> Pick:
    """The agent for ``need`` (see the module's text). ``in_hours``: whether each group is in
    its business hours now (a group not named: it is)."""
    members = [a for a in staff if need.group_id in a.group_ids]
    open_now = (in_hours or {}).get(need.group_id, True)
    present = [a for a in members if a.available or (a.available is None and open_now)]
    skilled = [a for a in present if all(_has(a, s) for s in need.skills)]
    free = [
        a
        for a in skilled
        if loads.get(a.id, 0) < (a.capacity if a.capacity is not None else default_capacity)
    ]
    if free:
        best = min(free, key=lambda a: (loads.get(a.id, 0), a.id))
        return Pick(need.ticket_id, best)
    if not present:
        closed = not open_now and any(a.available is None for a in members)
        why = " (outside its business hours)" if closed else ""
        return Pick(need.ticket_id, None, f"no agent of the group is available{why}")
    missing = [s for s in need.skills if not any(_has(a, s) for a in present)]
    if missing:
        return Pick(need.ticket_id, None, f"no available agent has the skill {missing[0]}")
    if not skilled:
        every = ", ".join(need.skills)
        return Pick(need.ticket_id, None, f"no available agent has every skill ({every})")
    return Pick(need.ticket_id, None, "every available agent with the skills is at capacity")


def serving_order(needs: Sequence[Need]) -> list[Need]:
    """VIP tickets first, then the oldest first (the queue's order)."""
    return sorted(needs, key=lambda n: (not n.vip, n.created_at, n.ticket_id))


def assign_batch(
    needs: Sequence[Need],
    staff: Sequence[Staff],
    loads: Mapping[int, int],
    default_capacity: int,
    in_hours: Mapping[int, bool] | None = None,
) -> list[Pick]:
    """Each ticket's choice, in serving order, the loads growing as agents take tickets."""
    current = dict(loads)
    choices = []
    for need in serving_order(needs):
        choice = choose(need, staff, current, default_capacity, in_hours)
        if choice.agent is not None:
            current[choice.agent.id] = current.get(choice.agent.id, 0) + 1
        choices.append(choice)
    return choices
