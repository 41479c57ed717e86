"""``privacy export`` and ``privacy forget``: one person's traces in every place, found by
their address (through the people index) or a ticket's id; removed, or only shown with
``dry_run``. A forget is recorded in the people index, so later runs keep its tickets out of
the caches they rebuild from the helpdesk's history (``step.PeoplePass``)."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from ..state.file_lock import updating
from . import people
from .places import PLACES
from .traces import Trace, Where, Who
from .walk import every_place


@dataclass(frozen=True)
class DataRequest:
    """What `privacy export` or `forget` was asked about: a requester's address or a ticket."""

    requester: str | None = None
    ticket: int | None = None
    # More tickets (a deletion in the helpdesk followed: ``follow.py``).
    tickets: tuple[int, ...] = ()

    @property
    def named(self) -> str:
        return self.requester if self.requester else f"ticket {self.ticket}"


def _who(index: people.PeopleIndex, request: DataRequest) -> Who:
    tickets = set(index.tickets_of(request.requester)) if request.requester else set()
    if request.ticket is not None:
        tickets.add(request.ticket)
    tickets.update(request.tickets)
    needles = (people.normalised(request.requester),) if request.requester else ()
    return Who(frozenset(tickets), needles)


def _since(index: people.PeopleIndex, who: Who, traces: list[Trace]) -> float | None:
    times = [index.tickets[t].first_seen for t in who.tickets if t in index.tickets]
    times += [t.since for t in traces if t.since is not None]
    return min(times) if times else None


def _report(
    request: DataRequest, who: Who, traces: list[Trace], since: float | None
) -> dict[str, Any]:
    return {
        "requester": request.requester,
        "tickets": sorted(who.tickets),
        "since": _iso(since),
        "places": [
            {
                "place": t.place,
                "files": t.files,
                "entries": t.found.entries,
                "mentions": t.found.mentions,
                "fields": sorted(t.found.fields),
                "since": _iso(t.since),
            }
            for t in traces
            if t.files
        ],
    }


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def export(where: Where, request: DataRequest) -> dict[str, Any]:
    """What ticketbot holds about the person, where, and since when; nothing changed."""
    index = people.load(where.state_dir)
    who = _who(index, request)
    traces = list(every_place(PLACES, where, who, erase=False))
    return _report(request, who, traces, _since(index, who, traces))


def forget(where: Where, request: DataRequest, *, dry_run: bool, now: float) -> dict[str, Any]:
    """Remove the person's text and identifiers from every place (with ``dry_run``, say what
    would go and change nothing); the report lists what was found."""
    # The index's lock for the whole forget (serve adds its tickets under it meanwhile); a dry
    # run writes nothing, not even the lock's file.
    held = nullcontext() if dry_run else updating(people.index_path(where.state_dir))
    with held:
        index = people.load(where.state_dir)
        who = _who(index, request)
        traces = list(every_place(PLACES, where, who, erase=not dry_run))
        report = _report(request, who, traces, _since(index, who, traces))
        report["dry_run"] = dry_run
        if not dry_run and (who.tickets or request.requester):
            index.forget(request.requester or "", sorted(who.tickets), now)
            people.save(where.state_dir, index)
    return report


def erase_forgotten(where: Where, index: people.PeopleIndex) -> int:
    """The forgotten tickets erased again from the places rebuilt from the helpdesk's history
    (a sync or a run read them back): how many entries went."""
    ids = index.forgotten_ids()
    if not ids:
        return 0
    history = tuple(p for p in PLACES if p.history)
    traces = every_place(history, where, Who(frozenset(ids)), erase=True)
    return sum(t.found.entries for t in traces)


def _many(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def text(report: dict[str, Any]) -> str:
    """The report as lines a person reads: a requester's tickets counted, a ticket named."""
    verb = "would remove" if report.get("dry_run") else "found"
    if "dry_run" in report and not report["dry_run"]:
        verb = "removed"
    ids = ", ".join(map(str, report["tickets"]))
    since = f"held since {report['since'] or '-'}"
    if report["requester"]:
        count = _many(len(report["tickets"]), "ticket", "tickets")
        lines = [f"{report['requester']}: {count} ({ids or 'none'}), {since}"]
    else:
        lines = [f"ticket {ids}: {since}"]
    for place in report["places"]:
        fields = f" ({', '.join(place['fields'])})" if place["fields"] else ""
        entries = _many(place["entries"], "entry", "entries")
        texts = _many(place["mentions"], "text", "texts")
        lines.append(f"  {place['place']}: {verb} {entries}, {texts}{fields}")
    if not report["places"]:
        lines.append("  nothing held")
    return "\n".join(lines)
