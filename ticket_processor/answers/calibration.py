"""The calibrated probability that the index's best article answers a ticket.

The index's score (``kb.search``: a hit's share of the ticket's own weight) is mapped to the
share of tickets at that score whose best article was the right one: isotonic, as the other
fields are calibrated (``triage.confidence``). ``ticketbot answers calibrate FILE`` fits it on
a labelled file (rows with ``answer_article``) and keeps it in the state directory; without
one, ``SHIPPED`` is used (fitted on ``tests/data/answers_tickets.jsonl`` by the same command).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..triage.confidence import Calibration, fit_isotonic

CALIBRATION_FILE = "answers_calibration.json"
SHIPPED = Calibration(starts=(0.0, 0.05, 0.1, 0.104, 0.137), values=(0.0, 0.35, 0.5, 0.8, 0.95))


def fit(scores: Sequence[float], right: Sequence[bool]) -> Calibration:
    return fit_isotonic(scores, right)


def load_calibration(state_dir: Path) -> Calibration:
    with contextlib.suppress(OSError, orjson.JSONDecodeError):
        found = Calibration.from_json(orjson.loads(read_state_bytes(state_dir / CALIBRATION_FILE)))
        if found is not None:
            return found
    return SHIPPED


def save_calibration(state_dir: Path, calibration: Calibration) -> Path:
    path = state_dir / CALIBRATION_FILE
    atomic_write_bytes(path, orjson.dumps(calibration.as_json()))
    return path
