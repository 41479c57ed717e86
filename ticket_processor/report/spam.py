"""The report's spam gate figures: what the gate set aside over the period, and which tickets.

The figures are the runs' own ``spam gate:`` lines added up, from the ``spam_judged`` event each
batch logs (``spam.run_pass``: the verdicts applied, by kind; the suggested ones; the known
customers' tickets only suggested), as ``ticketbot health`` counts them. The tickets are those
the period's triages tagged with a verdict (``ticket_triaged``'s ``tags_added``:
``<prefix><kind>`` gated, ``<prefix>suggested_spam`` suggested), so a team can open the few the
gate set aside and check them. Dry and shadow runs count apart: they tagged nothing.

An agent taking a verdict back (removing the tag, or answering the ticket) is not logged: no
event says so, and a ticket's later tags are read only once it is solved, for its labels
(``learned.outcomes``). The report shows what the gate did, not what agents made of it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..incidents.notes import ticket_list
from ..models import SPAM_KINDS, sanitise_tag
from ..spam.run_pass import verdicts_line

# Tickets a line or the page names before "and N more": the JSON has them all.
SHOWN = 10


@dataclass
class SpamFigures:
    """The verdicts of some runs: applied by kind, suggested, and how many known customers'
    tickets the gate only suggested that its learned model alone would have gated."""

    gated: dict[str, int] = field(default_factory=dict)
    suggested: int = 0
    known_customers: int = 0

    @property
    def gated_total(self) -> int:
        return sum(self.gated.values())

    @property
    def empty(self) -> bool:
        return not (self.gated_total or self.suggested or self.known_customers)

    def add(self, event: Mapping[str, Any]) -> None:
        applied = event.get("applied")
        for kind, count in applied.items() if isinstance(applied, Mapping) else ():
            if isinstance(count, int) and not isinstance(count, bool):
                self.gated[str(kind)] = self.gated.get(str(kind), 0) + count
        self.suggested += _count(event.get("suggested"))
        self.known_customers += _count(event.get("known"))

    def line(self, *, dry_run: bool) -> str:
        """The runs' own line: ``spam gate: 1 gated (spam 1), 2 suggested``."""
        return verdicts_line(self.gated, self.suggested, dry_run=dry_run)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gated": dict(sorted(self.gated.items())),
            "gated_total": self.gated_total,
            "suggested": self.suggested,
            "known_customers": self.known_customers,
        }


@dataclass
class SpamReport:
    """The period's real runs (``runs``), its dry and shadow runs apart (``dry_runs``), and the
    tickets the real runs tagged, by id."""

    runs: SpamFigures = field(default_factory=SpamFigures)
    dry_runs: SpamFigures = field(default_factory=SpamFigures)
    gated_tickets: list[int] = field(default_factory=list)
    suggested_tickets: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.runs.empty and self.dry_runs.empty and not self.gated_tickets

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` report's ``spam`` key."""
        return {
            **self.runs.to_dict(),
            "gated_tickets": self.gated_tickets,
            "suggested_tickets": self.suggested_tickets,
            "dry_runs": self.dry_runs.to_dict(),
        }


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def spam_report(
    events: Iterable[Mapping[str, Any]], *, prefix: str, dry_runs: Collection[str] = ()
) -> SpamReport:
    """``prefix``: the tags' (``TICKETBOT_TAG_PREFIX``); ``dry_runs``: the run ids of the
    period's dry and shadow runs (their events may not all say so)."""
    gated_tags = {sanitise_tag(f"{prefix}{kind}") for kind in SPAM_KINDS}
    suggested_tag = sanitise_tag(f"{prefix}suggested_spam")
    found = SpamReport()
    gated: dict[int, None] = {}
    suggested: dict[int, None] = {}
    for event in events:
        kind = event.get("event")
        dry = bool(event.get("dry_run")) or event.get("run_id") in dry_runs
        if kind == "spam_judged":
            (found.dry_runs if dry else found.runs).add(event)
        elif kind == "ticket_triaged" and not dry:
            ticket, tags = event.get("ticket_id"), event.get("tags_added")
            if not isinstance(ticket, int) or not isinstance(tags, list):
                continue
            if not gated_tags.isdisjoint(tags):
                gated[ticket] = None
                suggested.pop(ticket, None)  # gated since: the latest verdict stands
            elif suggested_tag in tags and ticket not in gated:
                suggested[ticket] = None
    found.gated_tickets = sorted(gated)
    found.suggested_tickets = sorted(suggested)
    return found


def spam_lines(report: SpamReport) -> list[str]:
    """The text report's lines: none when the gate set nothing aside in the period."""
    lines: list[str] = []
    if not report.runs.empty or report.gated_tickets or report.suggested_tickets:
        lines.append(report.runs.line(dry_run=False))
        if report.gated_tickets:
            lines.append(f"  gated: {ticket_list(report.gated_tickets, SHOWN)}")
        if report.suggested_tickets:
            lines.append(f"  suggested: {ticket_list(report.suggested_tickets, SHOWN)}")
        if report.runs.known_customers:
            lines.append(
                f"  only suggested for known customers: {report.runs.known_customers} "
                "(the learned model alone would have gated them)"
            )
    if not report.dry_runs.empty:
        lines.append(f"dry runs (nothing tagged): {report.dry_runs.line(dry_run=True)}")
    return lines
