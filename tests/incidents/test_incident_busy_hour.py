"""After a week of history, how busy an hour is is read from all of its tickets, on each
sandbox: an ordinary hour of one product's tickets (the thermostat's first-day dev set,
``scripts/incident_heldout.py first_day``), whose device complaints sit close together in the
encoder's space, links nothing and changes no priority; the outage hour of the same product,
after the same week, is linked. The real encoder and fault head, the real pass."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.events import Events
from support.incident_scenario import load_freshdesk, load_zendesk

from ticket_processor.incidents.plan import Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.run_pass import IncidentPass
from ticket_processor.run.connect import connect, load_settings

pytestmark = [pytest.mark.desk(raw=True, configure=True), pytest.mark.slow]


def _state(kind: str, desk: Any, ticket_id: int) -> tuple[bool, Any]:
    """Whether the ticket is linked to an incident, and its priority."""
    if kind == "zendesk":
        raw = desk.store.get(ticket_id)
        return raw["type"] is not None or raw.get("problem_id") is not None, raw["priority"]
    raw = desk.store.find(ticket_id)
    return raw.get("association_type") is not None, raw["priority"]


def _run_hour(kind: str, desk: Any, hour: str) -> tuple[Any, dict[int, str], dict[int, Any]]:
    """The thermostat's ``hour`` after a week of its own tickets, loaded and run through the
    pass: what the pass did, each ticket's part, and each hour ticket's priority before."""
    sys.path.insert(1, str(Path(__file__).resolve().parents[2] / "scripts"))
    from incident_heldout import FIRST_DAY_SETS, first_day

    now = int(time.time())
    specs = first_day(hour, now=now, history=True, source=FIRST_DAY_SETS["thermostat"])
    ids = (load_zendesk if kind == "zendesk" else load_freshdesk)(desk, specs)
    labels = {t: s.label for t, s in zip(ids, specs, strict=True) if s.label != "history"}
    before = {t: _state(kind, desk, t)[1] for t in labels}
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
    assert grouping.caution is None  # a week of history: incidents may be linked
    return done, labels, before


def test_an_ordinary_hour_of_one_product_after_a_week_links_nothing(
    desk_kind: str, desk: Any
) -> None:
    """Before, the hour's device complaints (a flickering display, a beeping, a loose wall
    plate...) took all its fault reports, left no other fault report to say how busy the hour
    was, and made one linked incident of 19 with their priorities raised."""
    done, labels, before = _run_hour(desk_kind, desk, "ordinary")
    assert (done.linked, done.suggested) == (0, 0), done
    after = {t: _state(desk_kind, desk, t) for t in labels}
    assert not [t for t, (linked, _) in after.items() if linked]
    assert {t: priority for t, (_, priority) in after.items()} == before


def test_the_same_products_outage_hour_after_a_week_is_linked(desk_kind: str, desk: Any) -> None:
    done, labels, _ = _run_hour(desk_kind, desk, "outage")
    linked = [t for t in labels if _state(desk_kind, desk, t)[0]]
    assert done.suggested == 0, done
    assert sum(labels[t] == "outage" for t in linked) >= 22, done
