"""The report's actions figures: the lookups the runs made (by how they ended) and the changes
they proposed, refused, made or still owe, from the runs' ``action_called``, ``action_proposed``
and ``action_refused`` events (``actions/``). Dry and shadow runs looked up but changed nothing:
their events are left out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any


def action_counts(events: Iterable[Mapping[str, Any]], dry_runs: Collection[str]) -> dict[str, int]:
    """``lookups_<status>`` (found, not_theirs, not_found, failed, no_input), ``changes_proposed``,
    ``changes_refused`` (over a limit, or approved by someone who is not an agent),
    ``changes_done``, ``changes_failed`` and ``changes_retried`` (no answer: still owed)."""
    counts: Counter[str] = Counter()
    for e in events:
        name = e.get("event")
        if e.get("run_id") in dry_runs or name not in _EVENTS:
            continue
        status = str(e.get("status") or "")
        if name == "action_called" and e.get("kind") == "lookup":
            counts[f"lookups_{status}"] += 1
        elif name == "action_called":
            counts[{"owed": "changes_retried"}.get(status, f"changes_{status}")] += 1
        elif name == "action_proposed":
            counts["changes_proposed" if status == "proposed" else "changes_refused"] += 1
        else:
            counts["changes_refused"] += 1
    return dict(sorted(counts.items()))


_EVENTS = ("action_called", "action_proposed", "action_refused")


def actions_line(counts: Mapping[str, int]) -> str:
    """``lookups 30 (found 27, not_theirs 3); changes proposed 10, done 9, refused 1``."""
    lookups = {k.removeprefix("lookups_"): v for k, v in counts.items() if k.startswith("lookups_")}
    changes = {k.removeprefix("changes_"): v for k, v in counts.items() if k.startswith("changes_")}
    said = []
    if lookups:
        inner = ", ".join(f"{k} {v}" for k, v in lookups.items())
        said.append(f"lookups {sum(lookups.values())} ({inner})")
    if changes:
        said.append("changes " + ", ".join(f"{k} {v}" for k, v in changes.items()))
    return "; ".join(said)
