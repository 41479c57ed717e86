"""The learning loop's gate: a candidate model replaces the one in use only if it is not worse.

``learn --promote`` trains a candidate on agents' labels (``--from-helpdesk``) or a file and
scores it and the model in use on the same held-out, agent-labelled tickets (a fifth of the
rows, seeded, or ``--holdout FILE``) through ``LearnedEngine`` as a run uses it. The candidate
is promoted only if it is not worse on any field and better on one; the model it replaces is
kept beside it (``<model>.previous.zip``) for ``learn --rollback``, and the comparison is kept
in ``<model>.promotion.json``, which ``health`` reads to name the model in use with its scores.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..common.atomic import atomic_write_bytes
from ..triage.prepare import prepare_ticket
from ..triage.taxonomy import Taxonomy
from .choice import record_path
from .engine import LearnedEngine
from .labelled_file import LabelledTicket
from .model import LearnedModel
from .scoring import score_field

FIELDS = ("category", "urgency", "sentiment")
HELD_OUT_SHARE = 0.2


def previous_path(target: Path) -> Path:
    return target.with_name(target.name.removesuffix(".zip") + ".previous.zip")


def split_held_out(
    rows: Sequence[LabelledTicket], seed: int = 0
) -> tuple[list[LabelledTicket], list[LabelledTicket]]:
    """(rows to train on, held-out rows): a seeded fifth of each source held out."""
    rng = random.Random(seed)
    by_source: dict[str, list[LabelledTicket]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    fitted: list[LabelledTicket] = []
    held: list[LabelledTicket] = []
    for group in by_source.values():
        group = list(group)
        rng.shuffle(group)
        cut = max(1, round(len(group) * HELD_OUT_SHARE)) if len(group) > 1 else 0
        held += group[:cut]
        fitted += group[cut:]
    return fitted, held


def held_out_scores(
    model: LearnedModel, taxonomy: Taxonomy, rows: Sequence[LabelledTicket]
) -> dict[str, float]:
    """Macro-F1 per field the rows label, of ``model`` as a run uses it."""
    engine = LearnedEngine(model, taxonomy)
    gold: dict[str, list[str]] = {name: [] for name in FIELDS}
    predicted: dict[str, list[str]] = {name: [] for name in FIELDS}
    for row in rows:
        prepared = prepare_ticket(row.subject, row.description, max_tokens=2000)
        analysis = engine.analyse(prepared.subject, prepared.body)
        values = {
            "category": analysis.category,
            "urgency": analysis.urgency.value,
            "sentiment": analysis.sentiment.value,
        }
        for name in FIELDS:
            if name in row.labels:
                gold[name].append(row.labels[name])
                value = values[name]
                if (
                    name == "urgency"
                    and value == "critical"
                    and "critical" not in row.labels.values()
                ):
                    value = "high"  # scored as eval scores it
                predicted[name].append(value)
    return {
        name: round(score_field(gold[name], predicted[name]).macro_f1, 4)
        for name in FIELDS
        if gold[name]
    }


def losses(new: LearnedModel, current: LearnedModel) -> list[str]:
    """What ``new`` cannot name that ``current`` can: whole fields (a file without urgency or
    sentiment labels), and the classes of a field (categories the file has no rows of). A run
    on such a model never sets them: a model trained on 6 of 9 categories never routes the
    other 3."""
    return lost_names({name: f.classes for name, f in new.fields.items()}, current)


def lost_names(new: Mapping[str, Sequence[str]], current: LearnedModel) -> list[str]:
    """``losses`` for a model known only by what it can name, per field (``train.nameable``:
    before it is trained)."""
    lost: list[str] = []
    for name, field in current.fields.items():
        if name not in new:
            lost.append(f"the field {name}")
            continue
        missing = [c for c in field.classes if c not in set(new[name])]
        if missing:
            lost.append(f"{name} {', '.join(map(str, missing))}")
    return lost


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reason: str
    candidate: dict[str, float]
    current: dict[str, float]


def gate(candidate: dict[str, float], current: dict[str, float] | None) -> Verdict:
    """Promote when not worse on any field and better on one (no current model: promote)."""
    if current is None:
        return Verdict(True, "no usable model in use to compare with", candidate, {})
    common = sorted(set(candidate) & set(current))
    if not common:
        return Verdict(False, "no field both models can be scored on", candidate, current)
    # Compared as shown (three places): a gap the message cannot show is a tie, said as one,
    # never "worse … 0.990 < 0.990".
    shown = {n: (round(candidate[n], 3), round(current[n], 3)) for n in common}
    worse = [n for n in common if shown[n][0] < shown[n][1]]
    if worse:
        text = ", ".join(f"{n} {candidate[n]:.3f} < {current[n]:.3f}" for n in worse)
        return Verdict(False, f"worse on {text}", candidate, current)
    better = [n for n in common if shown[n][0] > shown[n][1]]
    if not better:
        text = ", ".join(f"{n} {candidate[n]:.3f}" for n in common)
        return Verdict(False, f"equal on every field ({text}): better on none", candidate, current)
    text = ", ".join(f"{n} {candidate[n]:.3f} > {current[n]:.3f}" for n in better)
    return Verdict(True, f"better on {text}, worse on none", candidate, current)


def keep_previous(target: Path) -> None:
    """Before a model is written at ``target``: the one there becomes ``<model>.previous.zip``
    (what ``learn --rollback`` puts back), with its promotion record."""
    if target.exists():
        os.replace(target, previous_path(target))
        if record_path(target).exists():
            os.replace(record_path(target), record_path(previous_path(target)))


def install(
    target: Path, write: Callable[[Path], None], verdict: Verdict, held_out_rows: int
) -> None:
    """Keep the model at ``target`` as the previous one, then write the candidate there
    (``write(path)``) and the record of the comparison."""
    if target.exists():
        os.replace(target, previous_path(target))
    write(target)
    record = {
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "held_out_rows": held_out_rows,
        "scores": verdict.candidate,
        "replaced_scores": verdict.current,
        "reason": verdict.reason,
    }
    atomic_write_bytes(record_path(target), json.dumps(record, indent=1).encode("utf-8"))


def _swap_files(one: Path, other: Path) -> None:
    """Exchange two files' contents by renames; a missing one is missing on the other side."""
    swap = one.with_name(one.name + ".swap")
    if one.exists():
        os.replace(one, swap)
    if other.exists():
        os.replace(other, one)
    if swap.exists():
        os.replace(swap, other)


def rollback(target: Path) -> str:
    """Put the previous model back at ``target`` (the current one becomes the previous: a
    second rollback undoes the first); without a previous file, say so (ValueError). Nothing
    is deleted: the model a rollback replaces is always kept at ``<model>.previous.zip``."""
    previous = previous_path(target)
    record = record_path(target)
    if not previous.exists() and target.exists():
        # The model written there replaced none (the bundled one was in use): set it aside,
        # never delete it, and the bundled model is in use again.
        os.replace(target, previous)
        if record.exists():
            os.replace(record, record_path(previous))  # its scores go with it
        return (
            f"rolled back: {target} moved to {previous.name}; the model in use before it is "
            "again ('ticketbot learn --rollback' once more puts it back)"
        )
    if not previous.exists():
        raise ValueError(f"no previous model beside {target} ({previous.name}) to roll back to")
    if target.exists():
        swap = target.with_name(target.name + ".swap")
        os.replace(target, swap)
        os.replace(previous, target)
        os.replace(swap, previous)
    else:
        os.replace(previous, target)
    # Each model's promotion record (its held-out scores) goes with it, so `health` shows them
    # whichever of the two is in place after a rollback and back.
    _swap_files(record, record_path(previous))
    return f"rolled back: {target} is the previous model again ({previous.name} holds the other)"
