"""The report's spam gate figures: what the gate set aside over the period, and which tickets.

The figures count the tickets the period's runs tagged, each once under its latest verdict, as
the dashboard's overview counts them: ``<prefix><kind>`` gated and ``<prefix>suggested_spam``
suggested by a triage (``ticket_triaged``'s ``tags_added``), and lifted where a customer's reply
took a gated ticket's tag away (``reply_triaged``'s ``tags_removed``), so every count is of
tickets the report names. The known customers' tickets only suggested are the runs'
``spam_judged`` events added up, as ``ticketbot health`` counts them. Dry and shadow runs tagged
nothing: their figures are their lines (``spam_judged``) added up, apart.

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
    """The verdicts of some runs: applied by kind, suggested, lifted (a gated ticket's
    requester wrote as a customer), and how many known customers' tickets the gate only
    suggested that its learned model alone would have gated."""

    gated: dict[str, int] = field(default_factory=dict)
    suggested: int = 0
    known_customers: int = 0
    lifted: int = 0

    @property
    def gated_total(self) -> int:
        return sum(self.gated.values())

    @property
    def empty(self) -> bool:
        return not (self.gated_total or self.suggested or self.known_customers or self.lifted)

    def add(self, event: Mapping[str, Any]) -> None:
        applied = event.get("applied")
        for kind, count in applied.items() if isinstance(applied, Mapping) else ():
            if isinstance(count, int) and not isinstance(count, bool):
                self.gated[str(kind)] = self.gated.get(str(kind), 0) + count
        self.suggested += _count(event.get("suggested"))
        self.lifted += _count(event.get("lifted"))
        self.known_customers += _count(event.get("known"))

    def line(self, *, dry_run: bool) -> str:
        """The runs' own line: ``spam gate: 1 gated (spam 1), 2 suggested``."""
        return verdicts_line(self.gated, self.suggested, dry_run=dry_run, lifted=self.lifted)

    def to_dict(self) -> dict[str, Any]:
        return {
            "gated": dict(sorted(self.gated.items())),
            "gated_total": self.gated_total,
            "suggested": self.suggested,
            "lifted": self.lifted,
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
    lifted_tickets: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.runs.empty and self.dry_runs.empty

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` report's ``spam`` key."""
        return {
            **self.runs.to_dict(),
            "gated_tickets": self.gated_tickets,
            "suggested_tickets": self.suggested_tickets,
            "lifted_tickets": self.lifted_tickets,
            "dry_runs": self.dry_runs.to_dict(),
        }


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def spam_report(
    events: Iterable[Mapping[str, Any]], *, prefix: str, dry_runs: Collection[str] = ()
) -> SpamReport:
    """``prefix``: the tags' (``TICKETBOT_TAG_PREFIX``); ``dry_runs``: the run ids of the
    period's dry and shadow runs (their events may not all say so)."""
    kinds = {sanitise_tag(f"{prefix}{kind}"): kind for kind in SPAM_KINDS}
    suggested_tag = sanitise_tag(f"{prefix}suggested_spam")
    found = SpamReport()
    latest: dict[int, str] = {}  # a ticket's latest verdict: a kind, suggested or lifted
    for event in events:
        kind = event.get("event")
        dry = bool(event.get("dry_run")) or event.get("run_id") in dry_runs
        ticket = event.get("ticket_id")
        if kind == "spam_judged":
            if dry:
                found.dry_runs.add(event)
            else:
                found.runs.known_customers += _count(event.get("known"))
        elif dry or not isinstance(ticket, int):
            continue
        elif kind == "ticket_triaged" and isinstance(tags := event.get("tags_added"), list):
            said = [kinds[t] for t in tags if t in kinds]
            if said:
                latest[ticket] = said[0]
            elif suggested_tag in tags and latest.get(ticket) not in SPAM_KINDS:
                latest[ticket] = "suggested"  # gated before: the gate's tag still stands
        elif (
            kind == "reply_triaged"
            and isinstance(gone := event.get("tags_removed"), list)
            and event.get("wrote") is not False
            and any(t in kinds for t in gone)
        ):
            latest[ticket] = "lifted"
    runs = found.runs
    for verdict in latest.values():
        if verdict == "suggested":
            runs.suggested += 1
        elif verdict == "lifted":
            runs.lifted += 1
        else:
            runs.gated[verdict] = runs.gated.get(verdict, 0) + 1
    found.gated_tickets = sorted(t for t, v in latest.items() if v in SPAM_KINDS)
    found.suggested_tickets = sorted(t for t, v in latest.items() if v == "suggested")
    found.lifted_tickets = sorted(t for t, v in latest.items() if v == "lifted")
    return found


def spam_lines(report: SpamReport) -> list[str]:
    """The text report's lines: none when the gate set nothing aside in the period."""
    lines: list[str] = []
    if not report.runs.empty:
        lines.append(report.runs.line(dry_run=False))
        if report.gated_tickets:
            lines.append(f"  gated: {ticket_list(report.gated_tickets, SHOWN)}")
        if report.suggested_tickets:
            lines.append(f"  suggested: {ticket_list(report.suggested_tickets, SHOWN)}")
        if report.lifted_tickets:
            lines.append(f"  lifted: {ticket_list(report.lifted_tickets, SHOWN)}")
        if report.runs.known_customers:
            lines.append(
                f"  only suggested for known customers: {report.runs.known_customers} "
                "(the learned model alone would have gated them)"
            )
    if not report.dry_runs.empty:
        lines.append(f"dry runs (nothing tagged): {report.dry_runs.line(dry_run=True)}")
    return lines
