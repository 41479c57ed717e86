"""What ``ticketbot revert --run`` asks of a feature that writes to the helpdesk on its own: its
writes of one run, found in the run's logged events, and how each is undone (``Feature.revert``).

The command undoes in one order, on one connection: the features' writes a person's later change
would hide first (``undo_first``, the features in the reverse of the run's order: the last done,
the first undone), then the triage's tags, priority and group, then what is undone with the
triage under the run's lock (``undo_with_triage``), the tickets it needs read once with the
triage's (``tickets``) and said before the revert's counts (``describe``) and after them
(``notes``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..models import Helpdesk, Ticket


@dataclass(frozen=True)
class RevertAsk:
    """The revert as a feature sees it: the run's logged events, the run, whether it is a dry
    run (nothing written), the state directory (its run lock) and where a line is said."""

    events: Sequence[dict[str, Any]]
    run_id: str
    dry_run: bool
    state_dir: Path
    echo: Callable[[str], None]


class RunRevert(Protocol):
    """One feature's writes of one run, to undo."""

    def undo_first(self, helpdesk: Helpdesk) -> bool:
        """Undo (or, dry, plan) what comes before the triage's revert, its lines said; True
        when something is left not undone."""
        ...

    def tickets(self) -> list[int]:
        """The tickets whose state now ``describe`` and ``undo_with_triage`` read."""
        ...

    def describe(self, tickets: Mapping[int, Ticket]) -> list[str]:
        """A line per write undone with the triage, before the revert's counts."""
        ...

    def notes(self) -> list[str]:
        """What the revert says after its counts."""
        ...

    def undo_with_triage(self, helpdesk: Helpdesk) -> list[tuple[int, str | None]]:
        """Undo, with the triage and under the run's lock: per ticket, the error (None: done)."""
        ...


class UndoneFirst:
    """A ``RunRevert`` whose writes are all undone before the triage's (``undo_first``)."""

    def tickets(self) -> list[int]:
        return []

    def describe(self, tickets: Mapping[int, Ticket]) -> list[str]:
        return []

    def notes(self) -> list[str]:
        return []

    def undo_with_triage(self, helpdesk: Helpdesk) -> list[tuple[int, str | None]]:
        return []
