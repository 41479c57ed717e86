"""The incidents' figures: the fault head, BANKING77's hours, the repeated pairs.

The dev hours' figures and the stages are in ``figures_incident_stages.py``, the benchmark in
``figures_incidents_bench.py``, the first-day outages in ``figures_incidents_first_day.py``."""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

# The dev hours are written by the tests' own helper.
from scripts import command_parser, data_toml
from ticket_processor.incidents.fault import FaultHead, load_fault_head
from ticket_processor.incidents.follow_up import follow_ups
from ticket_processor.incidents.labelled import (
    evaluate_grouping,
)
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.window import Row, Window, quantise
from ticket_processor.learned.embed import Encoder


def _parser(doc: str, banking77: str | None = None) -> argparse.ArgumentParser:
    """A command's parser, described by its doc's first line; ``--banking77`` names that file."""
    return _with_banking77(argparse.ArgumentParser(description=doc.split("\n")[0]), banking77)


def _with_banking77(
    parser: argparse.ArgumentParser, banking77: str | None = None
) -> argparse.ArgumentParser:
    """PARSER with ``--banking77`` naming BANKING77's file BANKING77, if given."""
    if banking77 is not None:
        parser.add_argument("--banking77", type=Path, help=f"BANKING77's {banking77}")
    return parser


# fault_figures -----------------------------------------------------------------------------------

# Which BANKING77 intents are a fault and which a request (scripts/data/fault_labels.toml).
_BANKING77 = data_toml("fault_labels.toml")["banking77"]
BANKING_FAULT: set[str] = set(_BANKING77["fault"])
BANKING_REQUEST: set[str] = set(_BANKING77["request"])


def banking(path: Path) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category"] in BANKING_FAULT or row["category"] in BANKING_REQUEST:
                texts.append(f"\n{row['text']}")
                labels.append(int(row["category"] in BANKING_FAULT))
    return texts, labels


def nlbse(path: Path) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("source") == "nlbse" and row["labels"].get("category"):
            texts.append(f"{row['subject']}\n{row['description']}")
            labels.append(int(row["labels"]["category"] == "bug"))
    return texts, labels


def macro_f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    f1s = []
    for cls in (True, False):
        tp = int((predicted == cls)[truth == cls].sum())
        precision = tp / max(1, int((predicted == cls).sum()))
        recall = tp / max(1, int((truth == cls).sum()))
        f1s.append(2 * precision * recall / max(1e-9, precision + recall))
    return float(np.mean(f1s))


def report(
    name: str,
    texts: list[str],
    labels: list[int],
    encoder: Encoder,
    head: FaultHead,
    against: FaultHead | None,
) -> None:
    vectors = quantise(np.asarray(encoder.encode(texts), np.float32))
    predicted = head.is_fault(vectors)
    truth = np.asarray(labels, bool)
    for cls in (True, False):
        tp = int((predicted == cls)[truth == cls].sum())
        precision = tp / max(1, int((predicted == cls).sum()))
        recall = tp / max(1, int((truth == cls).sum()))
        what = "fault" if cls else "request"
        print(
            f"  {name}: {what}s {int((truth == cls).sum())}, recall {recall:.2f}, "
            f"precision {precision:.2f}"
        )
    print(f"  {name}: macro-F1 {macro_f1(predicted, truth):.3f}")
    if against is None:
        return
    # The noise of a difference on these rows: the same rows drawn again with replacement
    # (1,000 times, a fixed seed), both heads scored on each draw.
    other = against.is_fault(vectors)
    rng = np.random.default_rng(0)
    draws = []
    for _ in range(1000):
        pick = rng.integers(0, len(truth), len(truth))
        draws.append(macro_f1(predicted[pick], truth[pick]) - macro_f1(other[pick], truth[pick]))
    low, high = np.percentile(draws, [2.5, 97.5])
    print(
        f"  {name}: against the other head {macro_f1(other, truth):.3f}, difference "
        f"{macro_f1(predicted, truth) - macro_f1(other, truth):+.3f} "
        f"(95% of resampled differences {low:+.3f} to {high:+.3f})"
    )


def fault_figures(argv: list[str] | None = None) -> None:
    parser = _with_banking77(command_parser("fault_figures"), "test.csv")
    parser.add_argument("--dev", type=Path, help="the development set (its nlbse rows)")
    parser.add_argument("--head", type=Path, help="a head file to score (the packaged one)")
    parser.add_argument("--against", type=Path, help="a second head file to compare it with")
    args = parser.parse_args(argv)
    encoder = Encoder()
    head = load_fault_head(args.head)
    against = load_fault_head(args.against) if args.against else None
    if args.banking77:
        report("banking77 test", *banking(args.banking77), encoder, head, against)
    if args.dev:
        report("nlbse (dev set)", *nlbse(args.dev), encoder, head, against)
    vectors = quantise(np.random.default_rng(0).normal(size=(10_000, 512)).astype(np.float32))
    started = time.perf_counter()
    for _ in range(10):
        head.probability(vectors)
    per = (time.perf_counter() - started) / 100_000
    print(
        f"the head's cost: {per * 1e6:.2f} µs a ticket (on the window's quantised vectors; "
        "the encoder's vector is the run's already)"
    )


# incident_hours_banking77 ------------------------------------------------------------------------

PAIRS: tuple[tuple[str, str], ...] = tuple(
    (fault, request) for fault, request in _BANKING77["pairs"]
)
NOW = 1_800_000_000
SHORT_WORDS = 5  # a fault report of at most this many words is a short one
DAY = 86400


def iso(moment: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def build(
    by_intent: dict[str, list[str]], fault: str, request: str, seed: int
) -> list[dict[str, object]]:
    rng = random.Random(seed)
    others = [(i, t) for i, texts in by_intent.items() if i not in (fault, request) for t in texts]
    rows: list[dict[str, object]] = []

    def add(text: str, at: int, status: str, group: str | None, burst: str | None) -> None:
        number = len(rows) + 1
        short = group is not None and len(text.split()) <= SHORT_WORDS
        rows.append(
            {
                "id": number,
                "subject": "",
                "body": text,
                "requester": f"customer{number}@example.com",
                "created_at": iso(at),
                "status": status,
                "group": group,
                "request": burst,
                **({"form": "short"} if short else {}),
            }
        )

    for _, text in rng.sample(others, 600):
        add(text, rng.randint(NOW - 7 * DAY, NOW - 7200), "solved", None, None)
    for text in rng.sample(by_intent[fault], 25):
        add(text, rng.randint(NOW - 3540, NOW - 60), "open", fault, None)
    for text in rng.sample(by_intent[request], 20):
        add(text, rng.randint(NOW - 3540, NOW - 60), "open", None, request)
    for _, text in rng.sample(others, 20):
        add(text, rng.randint(NOW - 3540, NOW - 60), "open", None, None)
    return rows


def incident_hours_banking77(argv: list[str] | None = None) -> None:
    parser = command_parser("incident_hours_banking77")
    parser.add_argument("csv", type=Path, help="BANKING77's test.csv (or train.csv)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the labelled hours here")
    parser.add_argument("--similarity", type=float, help="the grouping's (the policy's default)")
    parser.add_argument("--gather", type=float, help="the grouping's gather_similarity")
    parser.add_argument("--threshold", type=float, help="the fault head's (its file's)")
    parser.add_argument("--other-kind-rank", type=int, help="the grouping's other_kind_rank")
    parser.add_argument("--lookalike-rank", type=int, help="the grouping's lookalike_rank")
    parser.add_argument("--maybe-fault", type=float, help="the grouping's maybe_fault (1: off)")
    args = parser.parse_args(argv)
    by_intent: dict[str, list[str]] = {}
    with args.csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent.setdefault(row["category"], []).append(row["text"])
    encode, head, policy = Encoder().encode, load_fault_head(), IncidentPolicy()
    # The policy's values the flags give (its own where a flag is left out).
    given = {
        "similarity": args.similarity,
        "gather_similarity": args.gather,
        "other_kind_rank": args.other_kind_rank,
        "lookalike_rank": args.lookalike_rank,
        "maybe_fault": args.maybe_fault,
    }
    policy = replace(policy, **{name: value for name, value in given.items() if value is not None})
    if args.threshold is not None:
        head = replace(head, threshold=args.threshold)
    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    totals = [0.0, 0.0, 0.0, 0, 0, 0, 0, 0]
    print(
        "fault / request burst: pairs precision, recall, outage kept together, "
        "request tickets in incidents, request burst an incident, other tickets in incidents, "
        "short reports kept"
    )
    for number, (fault, request) in enumerate(PAIRS):
        path = folder / f"banking77-{fault}.jsonl"
        rows = build(by_intent, fault, request, args.seed + number)
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
        result = evaluate_grouping(path, encode, policy, head)
        kept, short = result.forms.get("short", (0, 0))
        print(
            f"{fault} / {request}: {result.pair_precision:.2f}, {result.pair_recall:.2f}, "
            f"{result.per_group[fault]:.2f}, {result.requests_in_incidents} of 20, "
            f"{'yes' if result.request_bursts_as_incidents else 'no'}, "
            f"{result.others_in_incidents}, {kept} of {short}"
        )
        totals[0] += result.pair_precision
        totals[1] += result.pair_recall
        totals[2] += result.per_group[fault]
        totals[3] += result.requests_in_incidents
        totals[4] += result.request_bursts_as_incidents
        totals[5] += result.others_in_incidents
        totals[6] += kept
        totals[7] += short
    n = len(PAIRS)
    print(
        f"mean: pairs precision {totals[0] / n:.2f}, recall {totals[1] / n:.2f}, "
        f"kept together {totals[2] / n:.2f}; request tickets in incidents {totals[3]} of "
        f"{20 * n}; request bursts that became incidents {totals[4]} of {n}; other tickets in "
        f"incidents {totals[5]}; short reports kept with their group {totals[6]} of {totals[7]}"
    )


# repeat_pairs ------------------------------------------------------------------------------------


def _pair_window(pairs: list[dict[str, Any]], encode: Any) -> tuple[Window, dict[int, str]]:
    """One window holding every pair as one requester's two tickets, 600 s apart; pairs are a
    day apart, so a pair's second ticket sees only its own first within the hour, and another
    pair's tickets are other requesters'. Ticket ids are large, so no text names one by chance."""
    rows, texts = [], {}
    start = 1_800_000_000
    for n, pair in enumerate(pairs):
        for k, part in enumerate(("first", "second")):
            ticket_id = 900_000 + 2 * n + k
            rows.append(Row(ticket_id, n + 1, start + n * 86400 + 600 * k, "", True))
            texts[ticket_id] = (
                f"{pair[part].get('subject', '')}\n{pair[part].get('description', '')}"
            )
    window = Window()
    window.add(rows, np.asarray(encode(list(texts.values())), np.float32))
    return window, texts


def repeat_pairs(argv: list[str] | None = None) -> None:
    parser = command_parser("repeat_pairs")
    parser.add_argument("file", type=Path, help="pairs, JSON lines")
    args = parser.parse_args(argv)
    pairs = [json.loads(line) for line in args.file.read_text("utf-8").splitlines() if line.strip()]
    labels = [str(p["label"]) for p in pairs]
    window, texts = _pair_window(pairs, Encoder().encode)
    seconds = [2 * n + 1 for n in range(len(pairs))]
    cosine = window.similarity(window.vectors[seconds], np.asarray([s - 1 for s in seconds]))
    shipped = IncidentPolicy()
    for name, policy in (
        ("cosine alone", replace(shipped, follow_up_needs_sign=False)),
        ("shipped", shipped),
    ):
        flagged = {int(window.ids[r.row]) for r in follow_ups(window, seconds, policy, texts)}
        counts = {label: [0, 0] for label in ("follow_up", "other_matter")}
        for n, label in enumerate(labels):
            counts[label][0] += int(900_000 + 2 * n + 1 in flagged)
            counts[label][1] += 1
        print(
            f"{name:13} follow-ups flagged {counts['follow_up'][0]}/{counts['follow_up'][1]}"
            f"   other matters flagged {counts['other_matter'][0]}/{counts['other_matter'][1]}"
        )
    for label in ("follow_up", "other_matter"):
        values = sorted(float(cosine[n, n]) for n, got in enumerate(labels) if got == label)
        if values:
            quartiles = np.percentile(values, [25, 50, 75])
            print(
                f"{label:12} cosine min {values[0]:.2f}  quartiles "
                + " ".join(f"{q:.2f}" for q in quartiles)
                + f"  max {values[-1]:.2f}  (n={len(values)})"
            )
