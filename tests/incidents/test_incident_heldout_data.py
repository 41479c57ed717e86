"""The held-out incident hours are what ``scripts/incident_heldout.py`` writes from their texts
(``tests/data/incident_sources/``): run into a fresh folder, it writes every committed
``incident_hour_heldout*.jsonl`` byte for byte and no other file, so the generator, its sources
and the hour files cannot drift apart. Each first-day set holds the hours its figure and its
README promise."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def test_the_generator_writes_the_committed_held_out_hours(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "scripts.incident_heldout", "--out", str(tmp_path)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
    )
    written = sorted(path.name for path in tmp_path.iterdir())
    committed = sorted(path.name for path in DATA.glob("incident_hour_heldout*.jsonl"))
    assert written == committed
    differ = [
        name for name in written if (tmp_path / name).read_bytes() != (DATA / name).read_bytes()
    ]
    assert not differ, f"not what scripts/incident_heldout.py writes: {differ}"


@pytest.mark.parametrize("products", ["bikes", "music", "thermostat", "lock", "stream", "lockers"])
def test_each_first_day_set_has_its_outage_among_ordinary_tickets(products: str) -> None:
    """25 reports of one fault (15 long, 5 short, 5 not in English) among 35 of the 60 ordinary
    tickets, each from a customer of its own, and a week of 350 tickets of the product's own
    before it; no placeholder left unfilled."""
    from scripts.incident_heldout import FIRST_DAY_SETS, first_day

    source = FIRST_DAY_SETS[products]
    forms = Counter(
        line.split('"form": "')[1].split('"')[0]
        for line in source.read_text(encoding="utf-8").splitlines()
        if '"part": "outage"' in line
    )
    assert forms == {"long": 15, "short": 5, "foreign": 5}
    now = 1_800_000_000
    ordinary = first_day("ordinary", now=now, history=False, source=source)
    outage = first_day("outage", now=now, history=True, source=source)
    assert Counter(s.label for s in ordinary) == {"ordinary": 60}
    assert Counter(s.label for s in outage) == {"outage": 25, "ordinary": 35, "history": 350}
    hour = [s for s in outage if s.label != "history"]
    assert len({s.email for s in hour}) == 60
    assert all(now - 3600 < s.created_at < now for s in hour)
    assert not any("{" in s.subject + s.body for s in ordinary + outage)
    busy = first_day("busy_outage", now=now, history=False, source=source)
    assert Counter(s.label for s in busy) == {"outage": 25, "ordinary": 35}
    assert len({s.email for s in busy}) == 60
    assert not any("{" in s.subject + s.body for s in busy)
