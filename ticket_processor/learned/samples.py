"""The shipped sample tickets as labelled rows (their ``expected`` fields are the labels).

The project's own writing, so the default model may train on them; the default model's
cross-validated figures on them (``source`` ``samples``) are what the demo can quote.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .labelled_file import LabelledTicket

SAMPLES_SOURCE = "samples"
LABELLED_FIELDS = ("category", "urgency", "sentiment")


def samples_path() -> Path:
    return Path(str(resources.files("ticket_processor").joinpath("samples/tickets.jsonl")))


def sample_rows(path: Path | None = None) -> list[LabelledTicket]:
    rows = []
    text = (path or samples_path()).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        data = json.loads(line)
        expected = data.get("expected") or {}
        labels = {k: str(expected[k]) for k in LABELLED_FIELDS if expected.get(k) is not None}
        rows.append(
            LabelledTicket(
                f"sample-{number}",
                SAMPLES_SOURCE,
                str(data.get("subject") or ""),
                str(data.get("description") or ""),
                labels,
            )
        )
    return rows
