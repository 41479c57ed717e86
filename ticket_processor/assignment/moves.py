"""How often people move ticketbot's assignments, by skill: watched by the runs, counted by
``report``.

Each assignment ticketbot makes is kept in ``<state dir>/assignment/assigned.json`` (ticket ->
the agent and the skills it needed). A later run that sees the ticket changed reads who has it
now: another agent (or none) means a person moved it, logged once as ``assignment_moved`` with
the skills; a ticket solved or closed with ours is forgotten. A person's choice teaches nothing
by itself (ticketbot's choice is not tuned on it); ``report`` counts the moves per skill so a
team sees where its skills file and its agents' skills disagree.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..models import Helpdesk

BOOK = Path("assignment") / "assigned.json"


class AssignedBook:
    """ticketbot's assignments still standing, by ticket id (as text); written atomically."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / BOOK
        self._lock = threading.Lock()
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            loaded = json.loads(read_state_bytes(self.path)) if self.path.is_file() else {}
        except (OSError, ValueError, TicketBotError):
            loaded = {}  # lost: only the moves of earlier assignments go uncounted
        self.entries = loaded if isinstance(loaded, dict) else {}

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.path, json.dumps(self.entries, sort_keys=True).encode())

    def made(self, ticket_id: int, agent_id: int, skills: Sequence[str]) -> None:
        with self._lock:
            self.entries[str(ticket_id)] = {"agent": agent_id, "skills": list(skills)}

    def watch(self, helpdesk: Helpdesk, ticket_ids: Iterable[int], log: EventSink) -> None:
        """Log each of ``ticket_ids`` a person moved away from ticketbot's agent."""
        ours = [t for t in dict.fromkeys(ticket_ids) if str(t) in self.entries]
        if not ours:
            return
        for ticket in helpdesk.tickets(ours):
            entry = self.entries[str(ticket.id)]
            if ticket.assignee_id != entry["agent"]:
                log.emit(
                    "assignment_moved",
                    ticket_id=ticket.id,
                    agent_id=entry["agent"],
                    now_id=ticket.assignee_id,
                    skills=entry["skills"],
                )
            if ticket.assignee_id != entry["agent"] or ticket.status in ("solved", "closed"):
                with self._lock:
                    self.entries.pop(str(ticket.id), None)
        self.save()


@dataclass
class Moves:
    """The period's assignments and those people moved, by skill."""

    assigned: Counter[str] = field(default_factory=Counter)
    moved: Counter[str] = field(default_factory=Counter)
    assigned_total: int = 0
    moved_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "assigned": self.assigned_total,
            "moved_by_people": self.moved_total,
            "by_skill": {
                skill: {"assigned": self.assigned[skill], "moved": self.moved[skill]}
                for skill in sorted(self.assigned | self.moved)
            },
        }

    def lines(self) -> list[str]:
        if not self.assigned_total and not self.moved_total:
            return []
        skills = ", ".join(
            f"{skill} {self.moved[skill]} of {self.assigned[skill]}"
            for skill in sorted(self.assigned | self.moved)
        )
        said = f" (by skill: {skills})" if skills else ""
        return [
            f"assignments: {self.assigned_total} made, {self.moved_total} moved by people{said}"
        ]


def assignment_moves(events: Iterable[Mapping[str, Any]]) -> Moves:
    """The assignments (``ticket_assigned``) and people's moves (``assignment_moved``)."""
    found = Moves()
    for event in events:
        kind = event.get("event")
        skills = [str(s) for s in event.get("skills") or ()]
        if kind == "ticket_assigned":
            found.assigned_total += 1
            found.assigned.update(skills)
        elif kind == "assignment_moved":
            found.moved_total += 1
            found.moved.update(skills)
    return found
