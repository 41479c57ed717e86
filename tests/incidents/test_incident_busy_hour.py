"""After a week of history, how busy an hour is is read from all of its tickets, on each
sandbox: an ordinary hour of one product's tickets (the thermostat's first-day dev set,
``scripts/incident_heldout.py first_day``), whose device complaints sit close together in the
encoder's space, links nothing and changes no priority; the outage hour of the same product,
after the same week, is linked. The real encoder and fault head, the real pass."""

from __future__ import annotations

from typing import Any

import pytest
from support.first_day import run_first_day, ticket_state

pytestmark = [pytest.mark.desk(configure=True), pytest.mark.slow]


def _run_hour(desk: Any, hour: str) -> tuple[Any, dict[int, str], dict[int, Any]]:
    """The thermostat's ``hour`` after a week of its own tickets, run through the pass: what the
    pass did, each ticket's part, and each hour ticket's priority before."""
    ran = run_first_day(desk, hour, history=True, product="thermostat")
    assert ran.caution is None  # a week of history: incidents may be linked
    return ran.done, ran.labels, ran.before


def _state(desk: Any, ticket_id: int) -> tuple[bool, Any]:
    """Whether the ticket is linked to an incident, and its priority."""
    linked, _, priority = ticket_state(desk, ticket_id)
    return linked, priority


def test_an_ordinary_hour_of_one_product_after_a_week_links_nothing(
    desk_kind: str, desk: Any
) -> None:
    """Before, the hour's device complaints (a flickering display, a beeping, a loose wall
    plate...) took all its fault reports, left no other fault report to say how busy the hour
    was, and made one linked incident of 19 with their priorities raised."""
    done, labels, before = _run_hour(desk, "ordinary")
    assert (done.linked, done.suggested) == (0, 0), done
    after = {t: _state(desk, t) for t in labels}
    assert not [t for t, (linked, _) in after.items() if linked]
    assert {t: priority for t, (_, priority) in after.items()} == before


def test_the_same_products_outage_hour_after_a_week_is_linked(desk_kind: str, desk: Any) -> None:
    done, labels, _ = _run_hour(desk, "outage")
    linked = [t for t in labels if _state(desk, t)[0]]
    assert done.suggested == 0, done
    assert sum(labels[t] == "outage" for t in linked) >= 22, done
