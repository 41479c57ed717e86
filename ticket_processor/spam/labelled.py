"""How well the spam gate sorts a labelled file: ``ticketbot eval --spam FILE``.

A row is a JSON object with ``subject`` and ``description`` (or ``text``), optionally the
``sender`` address, and its truth in ``labels.spam`` (``none``, ``spam``, ``phishing`` or
``auto_sender``), and ``known_customer: true`` where the requester is one (an organisation's);
a row without a label is a customer's (``none``), so any labelled file of
customers' tickets measures the false positives. The gate judges each row as a run would, from
the head and the sender cue (and the known senders the gate was given); the LLM is not asked.
A row's text is read as a run reads it (``reading``: the sender's own words apart from what
they forward, look-alike letters undone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.json_lines import json_lines
from ..errors import ConfigError
from ..models import SPAM_KINDS
from .cues import SenderCues, known_sender, machine_sender
from .gate import SpamGate
from .reading import read_ticket
from .signals import SpamSignals

LABELS = ("none", *SPAM_KINDS)
_CHUNK = 256  # rows encoded at once


@dataclass(frozen=True)
class SpamRow:
    subject: str
    body: str
    sender: str | None
    truth: str  # one of LABELS
    # The requester is a known customer (``"known_customer": true``: an organisation's).
    known: bool = False


@dataclass
class SpamScores:
    """Counts of one file: ``applied``/``suggested`` per truth; the figures derive from them."""

    rows: int = 0
    truth: dict[str, int] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)  # truth -> rows the gate applied
    suggested: dict[str, int] = field(default_factory=dict)
    right_kind: int = 0  # applied rows whose kind is the truth's

    @property
    def spam_rows(self) -> int:
        return self.rows - self.truth.get("none", 0)

    @property
    def true_positives(self) -> int:
        return sum(n for label, n in self.applied.items() if label != "none")

    @property
    def flagged(self) -> int:
        return sum(self.applied.values())

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.spam_rows if self.spam_rows else None

    @property
    def false_positive_rate(self) -> float | None:
        customers = self.truth.get("none", 0)
        return self.applied.get("none", 0) / customers if customers else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "truth": self.truth,
            "applied": self.applied,
            "suggested": self.suggested,
            "precision": self.precision,
            "recall": self.recall,
            "false_positive_rate": self.false_positive_rate,
            "kind_accuracy": self.right_kind / self.true_positives if self.true_positives else None,
        }


def _row(raw: object, number: int, path: Path) -> SpamRow:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: line {number} is not a JSON object")
    labels = raw.get("labels")
    truth = labels.get("spam", "none") if isinstance(labels, dict) else "none"
    if truth not in LABELS:
        raise ConfigError(f"{path}: line {number}: labels.spam {truth!r} is not one of {LABELS}")
    body = raw.get("description", raw.get("text", ""))
    sender = raw.get("sender")
    return SpamRow(
        str(raw.get("subject") or ""),
        str(body or ""),
        sender if isinstance(sender, str) else None,
        str(truth),
        raw.get("known_customer") is True,
    )


def read_rows(path: Path) -> list[SpamRow]:
    rows = [_row(raw, number, path) for number, raw in json_lines(path)]
    if not rows:
        raise ConfigError(f"{path} has no rows to score")
    return rows


def score_rows(rows: Sequence[SpamRow], gate: SpamGate, *, screened: bool = True) -> SpamScores:
    """The gate's verdict on each row against its truth. The head reads only the rows a run's
    gate would give it (``gate.head_needed``); ``screened=False``: every row but a report, as
    a sweep of the head's own thresholds needs (the screen is fitted to the packaged ones)."""
    scores = SpamScores()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        judged_rows = []
        for row in chunk:
            reading = read_ticket(row.subject, row.body)
            cues = SenderCues(
                False,
                machine_sender(row.sender),
                "organisation"
                if row.known
                else "known sender"
                if known_sender(row.sender, gate.known_senders)
                else None,
            )
            signals = SpamSignals.of(reading)
            needed = not reading.report and (
                not screened or gate.head_needed(cues, None, reading, signals)
            )
            judged_rows.append((row, reading, cues, signals, needed))
        found_all = iter(gate.scores([r[1].text for r in judged_rows if r[4]]))
        for row, reading, cues, signals, needed in judged_rows:
            judged = None
            if needed:
                judged = gate.decide(next(found_all), cues, None, reading, signals)
            scores.rows += 1
            scores.truth[row.truth] = scores.truth.get(row.truth, 0) + 1
            if judged is None:
                continue
            fate = scores.applied if judged.applied else scores.suggested
            fate[row.truth] = fate.get(row.truth, 0) + 1
            scores.right_kind += int(judged.applied and judged.kind == row.truth)
    return scores


def evaluate_spam(path: Path, gate: SpamGate | None = None) -> SpamScores:
    return score_rows(read_rows(path), gate or SpamGate())
