"""Agents' corrections as a quality figure: ``ticket_outcome`` joined with ``ticket_triaged``.

For each ticket with a ``ticket_outcome`` in the report's window (the latest counts), the
latest earlier ``ticket_triaged`` of a real (not dry) run says what ticketbot wrote; it may lie
before the window, so the caller passes the older logs as ``history`` (read as far as they go,
only the needed tickets kept). Each pair becomes ``agreement`` events (what the HTML section
renders) and, through ``learned.feedback.agreement``, per field and per value ticketbot chose
the most common corrections. Pure, over already read events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.table import Table

from ..learned.feedback import AGREEMENT_FIELDS, TriagePair, agreement
from .runs import event_time

TOP = 3
Corrections = dict[str, dict[str, dict[str, Any]]]


def outcome_pairs(
    events: Iterable[Mapping[str, Any]],
    history: Iterable[Mapping[str, Any]] = (),
    dry_runs: frozenset[str] = frozenset(),
) -> list[tuple[object, TriagePair]]:
    """(ticket id, what ticketbot wrote and what the solved ticket carries), per ticket."""
    window = list(events)
    outcomes: dict[object, tuple[datetime | None, Mapping[str, Any]]] = {}
    for e in window:
        labels = e.get("labels")
        if e.get("event") == "ticket_outcome" and isinstance(labels, Mapping):
            outcomes[e.get("ticket_id")] = (event_time(e), labels)
    written: dict[object, Mapping[str, str]] = {}
    for e in (*_triaged(history, outcomes), *_triaged(window, outcomes)):
        if e.get("dry_run") or e.get("run_id") in dry_runs:
            continue
        moment, _ = outcomes[e.get("ticket_id")]
        at = event_time(e)
        if moment is not None and at is not None and at > moment:
            continue  # triaged again after it was solved: not what the agent saw
        written[e.get("ticket_id")] = {
            k: str(e[k]) for k in AGREEMENT_FIELDS if isinstance(e.get(k), str)
        }
    return [
        (tid, TriagePair(written[tid], {k: str(v) for k, v in labels.items()}))
        for tid, (_, labels) in outcomes.items()
        if tid in written
    ]


SHADOW_FIELDS = ("category", "urgency", "sentiment")


def shadow_agreement_events(
    events: Iterable[Mapping[str, Any]], history: Iterable[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """``agreement`` rows of shadow runs: per solved ticket with a ``shadow_outcome`` (the
    labels agents gave it, through the stated mapping) and an earlier shadow ``ticket_triaged``
    (what ticketbot would have set), joined by ticket id."""
    window = list(events)
    outcomes: dict[object, tuple[datetime | None, Mapping[str, Any]]] = {}
    for e in window:
        labels = e.get("labels")
        if e.get("event") == "shadow_outcome" and isinstance(labels, Mapping):
            outcomes[e.get("ticket_id")] = (event_time(e), labels)
    decided: dict[object, Mapping[str, Any]] = {}
    for e in (*_triaged(history, outcomes), *_triaged(window, outcomes)):
        if not e.get("shadow"):
            continue
        moment, _ = outcomes[e.get("ticket_id")]
        at = event_time(e)
        if moment is not None and at is not None and at > moment:
            continue
        decided[e.get("ticket_id")] = e
    rows = []
    for ticket_id, (_, labels) in outcomes.items():
        ours = decided.get(ticket_id)
        if ours is None:
            continue
        for name in SHADOW_FIELDS:
            if isinstance(ours.get(name), str) and name in labels:
                rows.append(
                    {
                        "event": "agreement",
                        "ticket_id": ticket_id,
                        "field": name,
                        "ticketbot": ours[name],
                        "agent": str(labels[name]),
                        "agreed": ours[name] == str(labels[name]),
                    }
                )
    return rows


def _triaged(
    events: Iterable[Mapping[str, Any]], wanted: Mapping[object, object]
) -> list[Mapping[str, Any]]:
    return [
        e for e in events if e.get("event") == "ticket_triaged" and e.get("ticket_id") in wanted
    ]


def agreement_events(pairs: Iterable[tuple[object, TriagePair]]) -> list[dict[str, Any]]:
    """The ``agreement`` rows (one per ticket and field both sides have) the report renders."""
    rows = []
    for ticket_id, pair in pairs:
        for name in AGREEMENT_FIELDS:
            ours, theirs = pair.written.get(name), pair.final.get(name)
            if ours is None or theirs is None:
                continue
            rows.append(
                {
                    "event": "agreement",
                    "ticket_id": ticket_id,
                    "field": name,
                    "ticketbot": ours,
                    "agent": theirs,
                    "agreed": ours == theirs,
                }
            )
    return rows


def corrections(pairs: Iterable[tuple[object, TriagePair]]) -> Corrections:
    """Per field, per value ticketbot chose: compared, changed, the most common corrections."""
    stats = agreement(pair for _, pair in pairs)
    result: Corrections = {}
    for name, entry in stats.fields.items():
        per_value: dict[str, dict[str, Any]] = {}
        for value, compared in entry.compared_by_value.most_common():
            changes = entry.corrections.get(value)
            per_value[value] = {
                "compared": compared,
                "changed": sum(changes.values()) if changes else 0,
                "to": entry.most_common(value, TOP),
            }
        if per_value:
            result[name] = per_value
    return result


def corrections_table(found: Corrections) -> Table:
    table = Table(
        title="Agents' corrections (solved tickets ticketbot triaged)", title_justify="left"
    )
    for heading in ("field", "ticketbot chose", "tickets", "changed", "most often to"):
        table.add_column(heading, justify="right" if heading in ("tickets", "changed") else "left")
    for name, per_value in found.items():
        compared = sum(row["compared"] for row in per_value.values())
        changed = sum(row["changed"] for row in per_value.values())
        overall = f"{changed / compared:.0%}" if compared else "–"
        table.add_row(name, "all", str(compared), overall, "", style="bold")
        for value, row in per_value.items():
            share = row["changed"] / row["compared"] if row["compared"] else 0.0
            to = ", ".join(f"{final} ({n})" for final, n in row["to"]) or "–"
            table.add_row(name, value, str(row["compared"]), f"{share:.0%}", to)
    return table
