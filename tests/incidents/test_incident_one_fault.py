"""A group must be one fault, not many complaints about one product, on each sandbox: the smart
lock's first-day hours (``scripts/incident_heldout.py first_day``, ``firstday_lock.jsonl``: a dev
set) with no history and after a week of the lock's own tickets. Its customers' one-off
complaints (a grinding motor, a battery draining, a keypad light) sit close together in the
encoder's space because every one of them is about the lock; the reports of its outage (digital
keys rejected, in five languages, some in three words) share what broke. The real encoder and
fault head, the real pass against the sandbox."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.incident_scenario import load_freshdesk, load_zendesk

from ticket_processor.incidents.plan import Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.run_pass import IncidentPass
from ticket_processor.run.connect import connect, load_settings

pytestmark = [pytest.mark.desk(raw=True, configure=True), pytest.mark.slow]


class Events:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        self.items.append({"event": event, **fields})
        return self.items[-1]


def _state(kind: str, desk: Any, ticket_id: int) -> tuple[bool, bool, Any]:
    """Whether the ticket is linked to an incident, whether one is suggested, its priority."""
    if kind == "zendesk":
        raw = desk.store.get(ticket_id)
        linked = raw["type"] is not None or raw.get("problem_id") is not None
    else:
        raw = desk.store.find(ticket_id)
        linked = raw.get("association_type") is not None
    return linked, "ai_incident_suggested" in raw["tags"], raw["priority"]


def _run_hour(kind: str, desk: Any, hour: str, history: bool) -> tuple[Any, Counter[str]]:
    """The lock's ``hour`` (with a week of its own tickets before it when ``history``) loaded
    and run through the pass: what the pass did, and by part (``outage``, ``ordinary``) the
    tickets linked, suggested and whose priority changed."""
    sys.path.insert(1, str(Path(__file__).resolve().parents[2] / "scripts"))
    from incident_heldout import FIRST_DAY_SETS, first_day

    now = int(time.time())
    specs = first_day(hour, now=now, history=history, source=FIRST_DAY_SETS["lock"])
    ids = (load_zendesk if kind == "zendesk" else load_freshdesk)(desk, specs)
    labels = {t: s.label for t, s in zip(ids, specs, strict=True) if s.label != "history"}
    before = {t: _state(kind, desk, t)[2] for t in labels}
    sightings = [
        Sighting(t, s.subject, f"{s.subject}\n{s.body}", 1000 + i, s.created_at, "other", True)
        for i, (t, s) in enumerate(zip(ids, specs, strict=True))
        if s.label != "history"
    ]
    helpdesk = connect(load_settings(os.environ))
    try:
        grouping = IncidentPass(
            IncidentPolicy(),
            helpdesk,
            Path(os.environ["TICKETBOT_STATE_DIR"]),
            Events(),
            "run1",
            False,
            None,
        )
        done = grouping.run(sightings)
    finally:
        helpdesk.close()
    assert (grouping.caution is None) == history
    counts: Counter[str] = Counter()
    for ticket_id, label in labels.items():
        linked, suggested, priority = _state(kind, desk, ticket_id)
        counts[f"{label} linked"] += linked
        counts[f"{label} suggested"] += suggested
        counts[f"{label} priority"] += priority != before[ticket_id]
    return done, counts


@pytest.mark.parametrize("history", [False, True], ids=["no history", "a week"])
def test_one_products_ordinary_hour_is_no_incident(
    desk_kind: str, desk: Any, history: bool
) -> None:
    """Before, after a week, 16 of the hour's 60 complaints about the lock were linked as one
    incident: they share the lock, not a fault."""
    done, counts = _run_hour(desk_kind, desk, "ordinary", history)
    assert (done.linked, done.suggested) == (0, 0), (done, counts)
    assert counts["ordinary linked"] == counts["ordinary suggested"] == 0, counts
    assert counts["ordinary priority"] == 0, counts


@pytest.mark.parametrize("history", [False, True], ids=["no history", "a week"])
def test_one_products_outage_is_found_without_its_other_complaints(
    desk_kind: str, desk: Any, history: bool
) -> None:
    """The outage's 25 reports among 35 of the ordinary tickets: at least 22 of them suggested
    (no history) or linked (a week), and at most 2 of the ordinary tickets with them. Before, 9
    ordinary tickets were suggested with them, and 6 linked after a week."""
    done, counts = _run_hour(desk_kind, desk, "outage", history)
    found = "linked" if history else "suggested"
    other = "suggested" if history else "linked"
    assert counts[f"outage {found}"] >= 22, (done, counts)
    assert counts[f"ordinary {found}"] <= 2, (done, counts)
    assert counts[f"outage {other}"] == counts[f"ordinary {other}"] == 0, counts
    if not history:  # suggested, never re-prioritised
        assert counts["outage priority"] == counts["ordinary priority"] == 0, counts
