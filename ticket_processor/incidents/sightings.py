"""What the incident pass is given and gives back: the run's sightings (the tickets it triaged,
collected from the worker threads, and those ``serve`` triaged since), the rising categories'
counts it shares its reading with (a protocol: neither feature imports the other), the
helpdesk's link writes, and the pass's outcome."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ..common.baseline import RecentReading
from ..journal.served import sighting_fields
from ..models import Cursor, Helpdesk, Ticket, Triage
from ..triage.prepare import PreparedTicket
from .plan import LinkOps, Sighting


class RiseLike(Protocol):
    """A category rising today (``topics.rising.Rise``)."""

    @property
    def key(self) -> str: ...

    def describe(self) -> str: ...


class RisingSeed(Protocol):
    """What the incident pass asks of the rising categories' counts (``topics.run_pass``): to
    share its reading of the window with their seed, and to be told which rises an incident
    explains. A protocol, so that neither feature imports the other."""

    today: date

    def wanted(self) -> tuple[int, Cursor | None] | None: ...

    def take(self, tickets: Sequence[Ticket]) -> None: ...

    def finish(self, reading: RecentReading) -> None: ...

    def read_alone(self, helpdesk: Helpdesk) -> RecentReading | None: ...

    def explain(
        self, incident: int, title: str, today_counts: Mapping[str, int]
    ) -> Sequence[RiseLike]: ...

    def explain_all(self, incidents: Sequence[tuple[int, str, Mapping[str, int]]]) -> None: ...


def link_ops(helpdesk: Helpdesk) -> LinkOps | None:
    """The helpdesk's link writes, when its adapter has them."""
    maker = getattr(helpdesk, "links", None)
    ops: LinkOps | None = maker() if callable(maker) else None
    return ops


class Sightings:
    """The run's triaged tickets, collected from the worker threads (``RunContext.observe``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, Sighting] = {}

    def observe(self, ticket: Ticket, prepared: PreparedTicket, triage: Triage) -> None:
        sighting = Sighting(**sighting_fields(ticket, prepared, triage))
        with self._lock:
            self._items[ticket.id] = sighting

    def add(self, served: Iterable[Mapping[str, Any]]) -> None:
        """The tickets ``serve`` triaged since the last run (``served_seen``), beside the run's
        own: a ticket both saw is the run's."""
        with self._lock:
            for fields in served:
                self._items.setdefault(int(fields["ticket_id"]), Sighting(**fields))

    def all(self) -> list[Sighting]:
        with self._lock:
            return list(self._items.values())


@dataclass
class IncidentOutcome:
    """What the pass found and did, for the run's summary and output."""

    incidents: int = 0
    linked: int = 0
    # Reports tagged and noted as a possible incident, not linked: the helpdesk has less
    # history than ``link_after`` (``history_days``: how much, None until it was read).
    suggested: int = 0
    history_days: float | None = None
    flagged: int = 0
    merged: int = 0
    kept: int = 0
    failed: int = 0
    alerts: int = 0
    baseline_tickets: int = 0
    baseline_pages: int = 0
    # The run's tickets whose vector the learned engine had computed already (the encoder's
    # memo), and those encoded here.
    vectors_reused: int = 0
    vectors_encoded: int = 0
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False  # False: a dry or shadow run, the figures are what it would do

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
