"""The report's incidents and repeat tickets, from the log's ``incident`` and ``incident_write``
events: per incident its group ticket, title, reports, first seen and state (the incident book's
state now, when it still holds it: ``open``; else ``closed`` — solved, past the window or
reverted), and each repeat ticket flagged or merged with the earlier one it names.

A suggested incident (a helpdesk with too little history to link) is listed too, from the same
event marked ``suggested``: its reports' tickets, and why it was only suggested; its state is
``suggested`` while the book still holds the suggestion, else ``settled`` (linked since, taken
back, or past the window)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..incidents.notes import ticket_list


@dataclass
class IncidentRow:
    key: int
    title: str
    reports: int
    first_seen: str
    state: str
    url: str
    suggested: bool = False
    tickets: list[int] = field(default_factory=list)
    why: str = ""


@dataclass
class RepeatRow:
    ticket_id: int
    earlier: int
    similarity: float
    merged: bool


@dataclass
class IncidentReport:
    incidents: list[IncidentRow] = field(default_factory=list)
    repeats: list[RepeatRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "incidents": [asdict(i) for i in self.incidents],
            "repeats": [asdict(r) for r in self.repeats],
        }


def incident_report(
    events: Iterable[dict[str, Any]],
    open_now: Collection[int],
    suggested_now: Collection[int] = (),
) -> IncidentReport:
    """``open_now``: the group tickets of the incidents the book holds open; ``suggested_now``
    the keys (earliest reports) of the suggestions it holds."""
    found: dict[tuple[bool, int], IncidentRow] = {}
    repeats: dict[int, RepeatRow] = {}
    for event in events:
        if event.get("dry_run"):
            continue
        kind = event.get("event")
        if kind == "incident" and isinstance(event.get("key"), int):
            key, suggested = event["key"], event.get("suggested") is True
            if suggested:
                state = "suggested" if key in suggested_now else "settled"
            else:
                state = "open" if key in open_now else "closed"
            tickets = event.get("tickets")
            found[suggested, key] = IncidentRow(
                key,
                str(event.get("title", "")),
                int(event.get("reports", 0)),
                str(event.get("first_seen", "")),
                state,
                str(event.get("url", "")),
                suggested,
                [t for t in tickets if isinstance(t, int)] if isinstance(tickets, list) else [],
                str(event.get("why", "")),
            )
        elif kind == "incident_write" and event.get("action") in ("flag", "merge"):
            ticket, earlier = event.get("ticket_id"), event.get("earlier")
            if isinstance(ticket, int) and isinstance(earlier, int):
                merged = event.get("action") == "merge" or (
                    ticket in repeats and repeats[ticket].merged
                )
                repeats[ticket] = RepeatRow(
                    ticket, earlier, float(event.get("similarity") or 0.0), merged
                )
    return IncidentReport(
        sorted(found.values(), key=lambda r: r.first_seen), list(repeats.values())
    )


def incident_lines(report: IncidentReport) -> list[str]:
    lines: list[str] = []
    if report.incidents:
        lines.append(f"Incidents: {len(report.incidents)}")
        for row in report.incidents:
            if row.suggested:
                lines.append(
                    f"  suggested “{row.title}”: {row.reports} reports, first seen "
                    f"{row.first_seen}, {row.state}: {ticket_list(row.tickets)}"
                )
                lines.append(f"    suggest-only, not linked: {row.why}")
                continue
            lines.append(
                f"  #{row.key} “{row.title}”: {row.reports} reports, first seen {row.first_seen}, "
                f"{row.state} {row.url}".rstrip()
            )
    if report.repeats:
        merged = sum(1 for r in report.repeats if r.merged)
        lines.append(f"Repeat tickets flagged: {len(report.repeats)} ({merged} merged)")
        for repeat in report.repeats:
            verb = "merged into" if repeat.merged else "repeats"
            similarity = f"similarity {repeat.similarity:.2f}"
            lines.append(f"  #{repeat.ticket_id} {verb} #{repeat.earlier} ({similarity})")
    return lines
