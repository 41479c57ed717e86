"""The held-out incident hours are what ``scripts/incident_heldout.py`` writes from their texts
(``tests/data/incident_sources/``): run into a fresh folder, it writes every committed
``incident_hour_heldout*.jsonl`` byte for byte and no other file, so the generator, its sources
and the hour files cannot drift apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def test_the_generator_writes_the_committed_held_out_hours(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "incident_heldout.py"), "--out", str(tmp_path)],
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
