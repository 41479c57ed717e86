"""A labelled hour file (``tests/data/incident_hour_*.jsonl``, the shape ``ticketbot eval
--grouping`` reads) as the tickets to put in a sandbox, moved so that the file's hour ends
now: the held-out hours run through a real ``ticketbot run`` as the generated ones do."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import orjson

from support.incident_scenario import Spec


def specs_from_file(path: Path, *, now: int | None = None) -> list[Spec]:
    """Each row a ``Spec``: label ``outage`` for the outage's reports, the row's ``request``
    for a request burst's, ``repeat`` (with the earlier ticket's index) for a customer's second
    message and ``repeat_first`` for the first, ``ordinary`` for the rest; oldest first."""
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    moments = {
        row["id"]: int(datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")).timestamp())
        for row in rows
    }
    shift = (now if now is not None else int(time.time())) - (max(moments.values()) + 60)
    firsts: dict[str, int] = {}
    for row in rows:
        group = row.get("group") or ""
        if group.startswith("repeat-"):
            first = min(
                (r for r in rows if r.get("group") == group), key=lambda r: moments[r["id"]]
            )
            firsts[group] = first["id"]
    ordered = sorted(rows, key=lambda r: (moments[r["id"]], r["id"]))
    index = {row["id"]: n for n, row in enumerate(ordered)}
    specs = []
    for row in ordered:
        group = row.get("group") or ""
        repeat_of = None
        if group == "outage":
            label = "outage"
        elif group.startswith("repeat-"):
            is_first = firsts[group] == row["id"]
            label = "repeat_first" if is_first else "repeat"
            repeat_of = None if is_first else index[firsts[group]]
        elif row.get("request"):
            label = str(row["request"])
        else:
            label = "ordinary"
        specs.append(
            Spec(
                row["subject"],
                row["body"],
                row["requester"],
                moments[row["id"]] + shift,
                row["status"],
                label,
                repeat_of,
                row.get("reports"),
            )
        )
    return specs
