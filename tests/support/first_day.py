"""A first-day hour (``scripts/incident_heldout.py first_day``) put on a sandbox and run through
the real incident pass (the real encoder and fault head), and what each ticket ended up as."""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.events import Events
from support.incident_scenario import LOADERS
from ticket_processor.incidents.plan import Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.run_pass import IncidentPass
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk


def ticket_state(desk: Desk, ticket_id: int) -> tuple[bool, bool, Any]:
    """Whether the ticket is linked to an incident, whether one is suggested, its priority."""
    seen = desk.linked(ticket_id)
    return seen.linked, "ai_incident_suggested" in seen.tags, seen.priority


@dataclass
class FirstDayHour:
    """What the pass did (``done``), what it was cautious about, the hour's tickets by their
    part (``outage``, ``ordinary``; the week's history left out) and their priorities before."""

    done: Any
    caution: Any
    labels: dict[int, str]
    before: dict[int, Any]

    def counts(self, desk: Desk) -> Counter[str]:
        """By part, the tickets linked, suggested and whose priority changed."""
        counts: Counter[str] = Counter()
        for ticket_id, label in self.labels.items():
            linked, suggested, priority = ticket_state(desk, ticket_id)
            counts[f"{label} linked"] += linked
            counts[f"{label} suggested"] += suggested
            counts[f"{label} priority"] += priority != self.before[ticket_id]
        return counts


def run_first_day(
    desk: Desk, hour: str, *, history: bool, product: str | None = None
) -> FirstDayHour:
    """``product``'s (the bikes' when None) ``hour``, with a week of its own tickets
    before it when ``history``, loaded on the sandbox and run through the pass."""
    from scripts.incident_heldout import FIRST_DAY_SETS, first_day

    source = FIRST_DAY_SETS[product or "bikes"]
    specs = first_day(hour, now=int(time.time()), history=history, source=source)
    ids = LOADERS[desk.kind](desk.sandbox, specs)
    labels = {t: s.label for t, s in zip(ids, specs, strict=True) if s.label != "history"}
    before = {t: ticket_state(desk, t)[2] for t in labels}
    sightings = [
        Sighting(
            t,
            s.subject,
            f"{s.subject}\n{s.body}",
            desk.linked(t).requester,
            s.created_at,
            "other",
            True,
        )
        for t, s in zip(ids, specs, strict=True)
        if s.label != "history"
    ]
    helpdesk = connect(load_settings(os.environ))
    try:
        state = Path(os.environ["TICKETBOT_STATE_DIR"])
        grouping = IncidentPass(IncidentPolicy(), helpdesk, state, Events(), "run1", False, None)
        done = grouping.run(sightings)
    finally:
        helpdesk.close()
    return FirstDayHour(done, grouping.caution, labels, before)
