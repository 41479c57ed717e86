"""``revert --run`` for the assignments a run made: each taken back where nobody changed it.

From the run's ``ticket_assigned`` events: a ticket still assigned to the agent the run chose
loses its assignee (it stays in its group) and a note says so; a ticket a person reassigned
since, or one gone, is left as it is. From its ``skills_set`` events: a ticket whose skills are
still the ones the run wrote gets the skills it had before.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from ..errors import TicketBotError
from ..models import Helpdesk
from ..state.lock import RunLock
from ..steps.revert import RevertAsk, UndoneFirst
from .step import staffing_of


@dataclass(frozen=True)
class MadeAssignment:
    """An assignment (``agent_id``), or skills written (``skills``, ``previous``)."""

    ticket_id: int
    agent_id: int | None
    skills: tuple[str, ...] = ()
    previous: tuple[str, ...] = ()


def assignments_of_run(events: Iterable[dict[str, Any]], run_id: str) -> list[MadeAssignment]:
    found: dict[int, MadeAssignment] = {}
    for event in events:
        kind, ticket_id = event.get("event"), event.get("ticket_id")
        if event.get("run_id") != run_id or not isinstance(ticket_id, int):
            continue
        agent_id = event.get("agent_id")
        if kind == "ticket_assigned" and isinstance(agent_id, int):
            found[ticket_id] = MadeAssignment(ticket_id, agent_id)
        elif kind == "skills_set":
            skills = tuple(str(s) for s in event.get("skills") or ())
            previous = tuple(str(s) for s in event.get("previous") or ())
            found[ticket_id] = MadeAssignment(ticket_id, None, skills, previous)
    return list(found.values())


def revert_assignments(
    helpdesk: Helpdesk, made: list[MadeAssignment], *, dry_run: bool
) -> tuple[list[int], list[int]]:
    """The tickets whose assignment is (or, dry, would be) taken back, and those kept."""
    desk = staffing_of(helpdesk)
    if desk is None or not made:
        return [], [m.ticket_id for m in made]
    now = {t.id: t for t in helpdesk.tickets([m.ticket_id for m in made])}
    undone, kept = [], []
    for one in made:
        ticket = now.get(one.ticket_id)
        if one.agent_id is None:
            standing = ticket is not None and desk.ticket_skills(one.ticket_id) == one.skills
        else:
            standing = ticket is not None and ticket.assignee_id == one.agent_id
        if not standing:
            kept.append(one.ticket_id)
            continue
        if not dry_run:
            try:
                if one.agent_id is None:
                    desk.set_ticket_skills(one.ticket_id, one.previous)
                else:
                    desk.assign(one.ticket_id, None, None)
                    desk.note(one.ticket_id, "ticketbot's assignment was taken back (revert).")
            except TicketBotError:
                kept.append(one.ticket_id)
                continue
        undone.append(one.ticket_id)
    return undone, kept


class AssignmentsRevert(UndoneFirst):
    """The assignments a run made, for ``revert`` (``steps.revert``): taken back before the
    triage's revert, as a person's later assignment is not ours."""

    def __init__(self, made: list[MadeAssignment], ask: RevertAsk) -> None:
        self.made = made
        self.ask = ask

    def undo_first(self, helpdesk: Helpdesk) -> bool:
        ask = self.ask
        with RunLock(ask.state_dir) if not ask.dry_run else nullcontext():
            back, kept = revert_assignments(helpdesk, self.made, dry_run=ask.dry_run)
        ask.echo(f"assignments: {len(back)} taken back, {len(kept)} changed since")
        return False


def assignments_revert(ask: RevertAsk) -> AssignmentsRevert | None:
    """The run's assignments to take back, or None: it made none."""
    made = assignments_of_run(ask.events, ask.run_id)
    return AssignmentsRevert(made, ask) if made else None
