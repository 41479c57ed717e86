"""A group must be one fault, not many complaints about one product, on each sandbox: the smart
lock's first-day hours (``scripts/incident_heldout.py first_day``, ``firstday_lock.jsonl``: a dev
set) with no history and after a week of the lock's own tickets. Its customers' one-off
complaints (a grinding motor, a battery draining, a keypad light) sit close together in the
encoder's space because every one of them is about the lock; the reports of its outage (digital
keys rejected, in five languages, some in three words) share what broke. The real encoder and
fault head, the real pass against the sandbox."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from support.first_day import run_first_day

pytestmark = [pytest.mark.desk(configure=True), pytest.mark.slow]


def _run_hour(desk: Any, hour: str, history: bool) -> tuple[Any, Counter[str]]:
    """The lock's ``hour`` (with a week of its own tickets before it when ``history``) run
    through the pass: what the pass did, and by part the tickets linked, suggested and whose
    priority changed."""
    ran = run_first_day(desk, hour, history=history, product="lock")
    assert (ran.caution is None) == history
    return ran.done, ran.counts(desk)


@pytest.mark.parametrize("history", [False, True], ids=["no history", "a week"])
def test_one_products_ordinary_hour_is_no_incident(
    desk_kind: str, desk: Any, history: bool
) -> None:
    """Before, after a week, 16 of the hour's 60 complaints about the lock were linked as one
    incident: they share the lock, not a fault."""
    done, counts = _run_hour(desk, "ordinary", history)
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
    done, counts = _run_hour(desk, "outage", history)
    found = "linked" if history else "suggested"
    other = "suggested" if history else "linked"
    assert counts[f"outage {found}"] >= 22, (done, counts)
    assert counts[f"ordinary {found}"] <= 2, (done, counts)
    assert counts[f"outage {other}"] == counts[f"ordinary {other}"] == 0, counts
    if not history:  # suggested, never re-prioritised
        assert counts["outage priority"] == counts["ordinary priority"] == 0, counts
