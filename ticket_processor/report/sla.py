"""The report's service-level figures (``sla/``): the targets the period's runs warned of (how
long before their breach, how many cautiously, without a probability), the breaches recorded
(and how many of them were warned of, at least 30 minutes before) and the warned targets met in
time, from the runs' ``sla_warned``, ``sla_breached`` and ``sla_met`` events. Dry and shadow
runs wrote nothing: their ``sla_planned`` lines are not counted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from statistics import median
from typing import Any

LEAD = 30.0  # minutes: a warning this long before the breach left time to act


@dataclass
class SlaReport:
    warned: int = 0
    cautious: int = 0
    paged: int = 0
    breaches: int = 0
    breaches_warned: int = 0
    breaches_warned_in_time: int = 0
    met_after_warning: int = 0
    minutes_before: list[float] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.warned or self.breaches or self.met_after_warning)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("minutes_before")
        data["median_minutes_warned_before_breach"] = (
            median(self.minutes_before) if self.minutes_before else None
        )
        return data


def sla_report(events: Iterable[Mapping[str, Any]]) -> SlaReport:
    found = SlaReport()
    for event in events:
        kind = event.get("event")
        if kind == "sla_warned":
            found.warned += 1
            found.cautious += bool(event.get("cautious"))
            found.paged += bool(event.get("routes")) and not event.get("cautious")
        elif kind == "sla_breached":
            found.breaches += 1
            before = event.get("warned_minutes_before")
            if event.get("warned") and isinstance(before, int | float):
                found.breaches_warned += 1
                found.breaches_warned_in_time += before >= LEAD
                found.minutes_before.append(float(before))
        elif kind == "sla_met" and event.get("warned"):
            found.met_after_warning += 1
    return found


def sla_lines(report: SlaReport) -> list[str]:
    """The text report's lines: none when no run watched a service level in the period."""
    if report.empty:
        return []
    lines = [
        f"service levels: {report.warned} target(s) warned of ({report.cautious} cautiously, "
        f"{report.paged} paged), {report.met_after_warning} of them met in time"
    ]
    if report.breaches:
        lead = (
            f", a median {median(report.minutes_before):.0f} min before"
            if report.minutes_before
            else ""
        )
        lines.append(
            f"  breaches: {report.breaches}, {report.breaches_warned} warned of{lead} "
            f"({report.breaches_warned_in_time} at least {LEAD:.0f} min before)"
        )
    return lines
