"""The report's detail sections: failed tickets, priority changes, routing, agents' agreement.

Pure, over already windowed and dry-run-filtered events. Each section is optional in the logs:
``route`` / ``group`` / ``escalated`` appear on ``ticket_triaged`` once routing is configured,
``ticket_url`` on ``ticket_failed`` when the helpdesk adapter knows the agent URL, and
``agreement`` events once something compares ticketbot's triage with what agents kept.

An ``agreement`` event is one field of one ticket::

    {"event": "agreement", "ticket_id": 42, "field": "category",
     "ticketbot": "billing", "agent": "technical"}

(``agreed`` may be given instead of, or beside, the two values.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .runs import event_time

MAX_FAILED_TICKETS = 50
TOP_CORRECTIONS = 5


@dataclass(frozen=True)
class FailedTicket:
    """One ``ticket_failed`` event, newest first in the report."""

    ticket_id: int | str | None
    at: str
    run_id: str
    stage: str
    error_type: str
    error: str
    url: str | None = None


def failed_tickets(
    failed: Sequence[Mapping[str, Any]], *, limit: int = MAX_FAILED_TICKETS
) -> list[FailedTicket]:
    """The latest ``limit`` failures; a ticket that failed twice appears once, with its latest."""
    latest: dict[object, Mapping[str, Any]] = {}
    for e in failed:
        key = e.get("ticket_id")
        latest[key if key is not None else id(e)] = e
    newest = sorted(latest.values(), key=lambda e: str(e.get("ts") or ""), reverse=True)
    rows = []
    for e in newest[:limit]:
        moment = event_time(e)
        ticket = e.get("ticket_id")
        url = e.get("ticket_url")
        rows.append(
            FailedTicket(
                ticket_id=ticket if isinstance(ticket, int | str) else None,
                at=f"{moment:%Y-%m-%d %H:%M}" if moment else "",
                run_id=str(e.get("run_id") or ""),
                stage=str(e.get("stage") or "unknown"),
                error_type=str(e.get("error_type") or "unknown"),
                error=str(e.get("error") or "")[:300],
                url=url if isinstance(url, str) and safe_url(url) else None,
            )
        )
    return rows


def safe_url(url: str) -> bool:
    """Only http(s) links are rendered: a ``javascript:`` URL in a log must not become a link."""
    return url.lower().startswith(("https://", "http://")) and not any(c in url for c in "\"'<> ")


def priorities(triaged: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Tickets per priority ticketbot set; ``unchanged`` where it set none."""
    counts = Counter(str(e.get("priority") or "unchanged") for e in triaged)
    order = ["urgent", "high", "normal", "low", "unchanged"]
    return {p: counts[p] for p in sorted(counts, key=lambda p: _rank(order, p))}


def _rank(order: list[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


@dataclass(frozen=True)
class Routing:
    routes: dict[str, int]
    groups: dict[str, int]
    escalated: int

    @property
    def present(self) -> bool:
        return bool(self.routes or self.groups or self.escalated)


def routing(triaged: Iterable[Mapping[str, Any]]) -> Routing:
    """Tickets per route (a ticket matching two routes counts in both), per group, escalated."""
    routes: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    escalated = 0
    for e in triaged:
        route = e.get("route")
        names = route if isinstance(route, list) else [route]
        routes.update(str(n) for n in names if n not in (None, ""))
        if e.get("group") not in (None, ""):
            groups[str(e["group"])] += 1
        escalated += e.get("escalated") is True
    return Routing(dict(routes.most_common()), dict(groups.most_common()), escalated)


@dataclass(frozen=True)
class Agreement:
    """For one field: tickets compared, how many agents left as ticketbot set them, corrections."""

    field: str
    compared: int
    agreed: int
    corrections: list[tuple[str, str, int]]  # (ticketbot, agent, count), most common first

    @property
    def rate(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def agreement(events: Iterable[Mapping[str, Any]]) -> list[Agreement]:
    """One ``Agreement`` per field, the latest event per (ticket, field) counting."""
    latest: dict[tuple[str, object], Mapping[str, Any]] = {}
    for e in events:
        if e.get("event") == "agreement":
            latest[(str(e.get("field") or "category"), e.get("ticket_id", id(e)))] = e
    by_field: dict[str, list[Mapping[str, Any]]] = {}
    for (name, _), e in latest.items():
        by_field.setdefault(name, []).append(e)
    result = []
    for name, rows in sorted(by_field.items()):
        agreed = 0
        corrections: Counter[tuple[str, str]] = Counter()
        for e in rows:
            ours, theirs = e.get("ticketbot"), e.get("agent")
            same = e["agreed"] if isinstance(e.get("agreed"), bool) else ours == theirs
            agreed += same
            if not same:
                corrections[(str(ours), str(theirs))] += 1
        top = [(a, b, n) for (a, b), n in corrections.most_common(TOP_CORRECTIONS)]
        result.append(Agreement(name, len(rows), agreed, top))
    return result
