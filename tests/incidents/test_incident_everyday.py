"""After a week, a product's everyday complaints are no incident, on each sandbox: the video
streaming app's first-day hours (``scripts/incident_heldout.py first_day``,
``firstday_stream.jsonl``: a dev set) after a week of the app's own tickets. Its customers write
"won't play" for causes of their own (a VPN, a download that expired, a film abroad); some of
those share more than the product, and form a core as an outage's reports do. The week brings
them too, at about the rate this hour does: measured against the week read the same way
(``what_broke.week_beside``), the core is the product's everyday, and a member the week holds
several tickets more like than the core is leaves the outage. The real encoder and fault head,
the real pass against the sandbox."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from support.first_day import run_first_day

pytestmark = [pytest.mark.desk(configure=True), pytest.mark.slow]


def _run_hour(desk: Any, hour: str) -> tuple[Any, Counter[str]]:
    """The streaming app's ``hour`` after a week of its own tickets, run through the pass: what
    the pass did, and by part the tickets linked, suggested and whose priority changed."""
    ran = run_first_day(desk, hour, history=True, product="stream")
    assert ran.caution is None  # a week: linking, not suggesting
    return ran.done, ran.counts(desk)


def test_everyday_complaints_that_share_a_core_are_no_incident(desk_kind: str, desk: Any) -> None:
    """Before, 18 of the hour's 60 tickets were linked as one incident and raised: "won't play"
    for a VPN, a browser, a Fire stick moved to another TV."""
    done, counts = _run_hour(desk, "ordinary")
    assert (done.linked, done.suggested) == (0, 0), (done, counts)
    assert counts["ordinary linked"] == counts["ordinary suggested"] == 0, counts
    assert counts["ordinary priority"] == 0, counts


def test_the_outage_is_linked_without_the_everyday_complaints_the_week_holds(
    desk_kind: str, desk: Any
) -> None:
    """The outage's 25 reports among 35 of the ordinary tickets: at least 22 linked, and at most
    5 ordinary tickets with them (before, 11: a buffering TV, an expired download, a film
    abroad, each of which the week holds several of)."""
    done, counts = _run_hour(desk, "outage")
    assert counts["outage linked"] >= 22, (done, counts)
    assert counts["ordinary linked"] <= 5, (done, counts)
    assert counts["outage suggested"] == counts["ordinary suggested"] == 0, counts
