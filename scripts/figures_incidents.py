"""The incidents' figures: the fault head, the dev and held-out hours, the stages, the benchmark."""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
import tempfile
import time
import tracemalloc
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

# The dev hours are written by the tests' own helper.
from support.incident_dev_hours import FAULTS, write_dev_hour

from scripts import data_toml
from ticket_processor.incidents.fault import FaultHead, load_fault_head
from ticket_processor.incidents.follow_up import follow_ups
from ticket_processor.incidents.grouping import _faults, _other_kind, _reading, judge, repeats
from ticket_processor.incidents.labelled import (
    GroupingScore,
    evaluate_grouping,
    labelled_window,
    read_labelled,
)
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.vote import nearest
from ticket_processor.incidents.what_broke import apart, shared_core
from ticket_processor.incidents.window import Row, Window, load_window, quantise, save_window
from ticket_processor.learned.embed import Encoder


def _parser(doc: str, banking77: str | None = None) -> argparse.ArgumentParser:
    """A command's parser, described by its doc's first line; ``--banking77`` names that file."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    if banking77 is not None:
        parser.add_argument("--banking77", type=Path, help=f"BANKING77's {banking77}")
    return parser


# fault_figures -----------------------------------------------------------------------------------

FAULT_FIGURES_DOC = """\
The fault/request head on sources it was not fitted on, and what it costs a ticket.

    python -m scripts.figures fault_figures --banking77 /work/data/incidents/banking77_test.csv \
        --dev /work/shared/data/tickets-dev.jsonl

``--banking77``: BANKING77's ``test.csv`` (PolyAI-LDN/task-specific-datasets, CC BY 4.0; not in
the repository: bring it with the search tool's ``fetch``). Its intents that plainly report
something failing (below: a card, a transfer, a top-up, a payment declined or not working) are
faults, those that plainly ask for something (cancel a transfer, a refund, change a PIN, a card,
a limit, a rate) requests; the intents in between are left out.
``--dev``: the development set's ``nlbse`` rows (GitHub issues): ``bug`` a fault,
``feature_request`` and ``how_to`` requests. Neither source was seen while fitting the head.
Prints, per source, each class's recall and the macro-F1, and the head's cost a ticket.
``--head FILE --against OTHER`` scores a head file and compares it with another on the same rows,
with the spread of the difference over the rows drawn again with replacement (its noise).
"""


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
    parser = _parser(FAULT_FIGURES_DOC, banking77="test.csv")
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

INCIDENT_HOURS_BANKING77_DOC = """\
The incident grouping on outage hours made of BANKING77's own rows: one fault reported by 25
customers in their own words, in a week of other questions, beside a burst of 20 requests.

    python -m scripts.figures incident_hours_banking77 /work/data/incidents/banking77_test.csv

BANKING77 (PolyAI-LDN/task-specific-datasets, CC BY 4.0; not in the repository: bring it with
the search tool's ``fetch``) has no hours of its own, so each hour is built from it: 600 rows of
the other intents spread over the week before (solved), then within the last hour 25 rows of
one fault intent (each its own customer: one group), 20 rows of one request intent (a request
burst) and 20 rows of other intents. Six hours, one per pair of intents below; deterministic
for ``--seed``. Each is scored as ``ticketbot eval --grouping`` scores a labelled file (the
files are written to ``--keep DIR`` when given). ``test.csv`` was not used to fit or tune the
fault head or the grouping (``train.csv`` may be, for development).
"""


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
    parser = _parser(INCIDENT_HOURS_BANKING77_DOC)
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


# incident_dev_figures ----------------------------------------------------------------------------

INCIDENT_DEV_FIGURES_DOC = """\
The incident grouping's development figures: the hours its values may be chosen on.

    python -m scripts.figures incident_dev_figures --banking77
    /work/data/incidents/banking77_train.csv

Scores, as ``ticketbot eval --grouping`` does, the four dev hours of
``tests/support/incident_dev_hours.py`` (the project's own writing: an outage each beside a
neighbouring but different problem and a request burst), the checkout hour
(``tests/data/incident_hour_checkout.jsonl``) and, with ``--banking77``, the six hours
``figures.py incident_hours_banking77`` builds from BANKING77's *train* split (PolyAI-LDN/
task-specific-datasets, CC BY 4.0; not in the repository). In-sample figures all: the held-out
hours are scored by ``ticketbot eval --grouping`` and ``figures.py incident_hours_banking77`` on
``test.csv``. ``--set NAME=VALUE`` changes one of the policy's values (repeatable).
"""


ROOT = Path(__file__).resolve().parents[1]


def line(name: str, result: GroupingScore, group: str) -> str:
    short = result.forms.get("short", (0, 0))
    foreign = result.forms.get("foreign", (0, 0))
    return (
        f"{name:34} kept {result.per_group.get(group, 0):.2f}  pairs "
        f"{result.pair_precision:.2f}/{result.pair_recall:.2f}  others "
        f"{result.others_in_incidents:2}  requests in {result.requests_in_incidents:2}  short "
        f"{short[0]}/{short[1]}  foreign {foreign[0]}/{foreign[1]}"
    )


def incident_dev_figures(argv: list[str] | None = None) -> None:
    parser = _parser(INCIDENT_DEV_FIGURES_DOC, banking77="train.csv")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--threshold", type=float, help="the fault head's (its file's)")
    args = parser.parse_args(argv)
    policy, head = IncidentPolicy(), load_fault_head()
    kinds = {f.name: f.type for f in fields(IncidentPolicy)}
    for item in args.set:
        name, value = item.split("=", 1)
        number: Any = int(value) if kinds[name] in (int, "int") else float(value)
        policy = replace(policy, **{name: number})
    if args.threshold is not None:
        head = replace(head, threshold=args.threshold)
    encode = Encoder().encode
    folder = Path(tempfile.mkdtemp())
    totals = {"kept": 0.0, "others": 0, "requests": 0, "n": 0}

    def run(name: str, path: Path, group: str) -> None:
        result = evaluate_grouping(path, encode, policy, head)
        print(line(name, result, group), flush=True)
        totals["kept"] += result.per_group.get(group, 0)
        totals["others"] += result.others_in_incidents
        totals["requests"] += result.requests_in_incidents
        totals["n"] += 1

    started = time.monotonic()
    for fault in FAULTS:
        run(f"dev {fault}", write_dev_hour(fault, folder / f"{fault}.jsonl", now=NOW), fault)
    run("checkout (in-sample)", ROOT / "tests/data/incident_hour_checkout.jsonl", "outage")
    if args.banking77:
        import json

        by_intent: dict[str, list[str]] = {}
        with args.banking77.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                by_intent.setdefault(row["category"], []).append(row["text"])
        for number, (fault, request) in enumerate(PAIRS):
            path = folder / f"banking77-{fault}.jsonl"
            rows = build(by_intent, fault, request, 3 + number)
            path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
            run(f"b77 train {fault}", path, fault)
    print(
        f"all {totals['n']}: kept together mean {totals['kept'] / totals['n']:.3f}, others "
        f"{totals['others']}, request tickets in incidents {totals['requests']} "
        f"({time.monotonic() - started:.0f} s)"
    )


# incident_stages ---------------------------------------------------------------------------------

INCIDENT_STAGES_DOC = """\
Which stage of the incident grouping keeps a labelled outage out of an incident.

    python -m scripts.figures incident_stages tests/data/incident_hour_heldout7.jsonl

For the true group ``--group`` (default ``outage``) of a labelled hour (the format of
``ticketbot eval --grouping``), builds the window as ``eval`` does and prints, stage by stage:

- the fault head: how many of the group's reports it calls fault reports, maybes (a
  probability of ``maybe_fault`` to its threshold) and requests, with their probabilities;
- the seed: for each of the group's fault reports, how many of the group's fault reports
  (itself included) are within ``similarity`` of it; a group is seeded only by a report with
  ``min_reports`` such (counting the hour's other fault reports too, which this leaves out);
  and at the gather bar (``gather_similarity``), for comparison;
- the vote: how many of the group's reports have a majority of their ``vote_neighbours``
  nearest tickets of the window in the group (what the vote would take once a group stands);
- the volume: the reading the whole group would get against the window if it were one group
  (the kind's earlier fault reports, how busy the hour is, the expected count, the p-value),
  and how many of its reports the other-kind and lookalike tests would take out;
- what ``judge`` did: every group it judged and its reading.

Diagnosis only: it reads the labels, which the grouping never does. Written for the hour whose
reports formed no incident at all (the README's incidents section gives its figures).
"""


def counts(values: npt.NDArray[np.int64]) -> str:
    """``values`` sorted, largest first."""
    return " ".join(str(int(v)) for v in sorted(values.tolist(), reverse=True))


def incident_stages(argv: list[str] | None = None) -> None:
    parser = _parser(INCIDENT_STAGES_DOC)
    parser.add_argument("file", type=Path, help="a labelled hour (JSON lines)")
    parser.add_argument("--group", default="outage", help="the true group to follow")
    args = parser.parse_args(argv)
    policy, head = IncidentPolicy(), load_fault_head()
    rows = read_labelled(args.file)
    window, now = labelled_window(rows, Encoder().encode)
    group_ids = {int(r["id"]) for r in rows if r.get("group") == args.group}
    group = np.flatnonzero(np.isin(window.ids, list(group_ids)))
    start = now - policy.burst_seconds
    hour = np.flatnonzero(window.created >= start)
    older = np.flatnonzero(window.created < start)
    print(
        f"{args.file.name}: {len(group)} reports of {args.group!r}, {len(hour)} tickets this hour"
    )

    chance = head.probability(window.vectors, group)
    sure, maybe = (
        chance >= head.threshold,
        (chance >= policy.maybe_fault) & (chance < head.threshold),
    )
    print(
        f"head: {int(sure.sum())} fault reports, {int(maybe.sum())} maybes, "
        f"{int((~sure & ~maybe).sum())} requests (below {policy.maybe_fault}); probabilities "
        + " ".join(f"{p:.2f}" for p in sorted(chance.tolist()))
    )

    faults = group[sure]
    for bar in (policy.similarity, policy.gather_similarity):
        among_faults = (window.similarity(window.vectors[faults], faults) >= bar).sum(axis=1)
        with_maybes = (window.similarity(window.vectors[faults], group[sure | maybe]) >= bar).sum(
            axis=1
        )
        print(
            f"seed at {bar}: each fault report's fault reports of the group within {bar} (itself "
            f"included; a seed needs {policy.min_reports}): {counts(among_faults)}; counting the "
            f"maybes: {counts(with_maybes)}"
        )

    k = policy.vote_neighbours
    votes = np.isin(nearest(window, group, k), group).sum(axis=1)
    print(
        f"vote: the group's reports with a majority of their {k} nearest tickets in the group: "
        f"{int((votes >= k // 2 + 1).sum())} of {len(group)} (fault reports and maybes: "
        f"{int((votes[sure | maybe] >= k // 2 + 1).sum())} of {int((sure | maybe).sum())})"
    )

    older_faults, hour_faults = _faults(window, head, older, hour)
    window_from = max(
        window.baseline_from, int(window.created[older].min()), now - policy.window_seconds
    )
    hours = max(1.0, (start - window_from) / 3600.0)
    for name, chosen in (
        ("the whole group", group),
        ("its fault reports and maybes", group[sure | maybe]),
    ):
        centre = quantise(window.vectors[chosen].astype(np.float32).mean(axis=0, keepdims=True))
        reading = _reading(
            window,
            [int(r) for r in chosen],
            centre,
            older_faults,
            hour_faults,
            np.zeros(0, np.int64),
            hours,
            policy,
        )
        out = _other_kind(window, centre, chosen, older_faults, policy)
        print(
            f"volume, {name} as one group: {reading.reports} reports, the kind's earlier fault "
            f"reports {reading.kind_in_window}, busy {reading.busy:.1f}, expected "
            f"{reading.expected:.2f}, p {reading.p_value:.1e}: "
            f"{'an incident' if reading.incident else 'refused'}; the other-kind and lookalike "
            f"tests take out {int(out.sum())}"
        )

    findings = judge(window, now, policy, (), head)
    print(f"judge: {len(findings.readings)} groups judged, {len(findings.bursts)} incidents")
    for reading in findings.readings:
        print(
            f"  {reading.reports} reports, expected {reading.expected:.2f}, busy "
            f"{reading.busy:.1f}, p {reading.p_value:.1e}, "
            f"{'incident' if reading.incident else 'refused'}"
        )


# incidents_bench ---------------------------------------------------------------------------------

INCIDENTS_BENCH_DOC = """\
What grouping tickets costs: the comparison at a window of 100,000 tickets, and the first
run's reading of the baseline from each helpdesk's sandbox.

    python -m scripts.figures incidents_bench            # both parts, a table
    python -m scripts.figures incidents_bench --json
    python -m scripts.figures incidents_bench --window 100000 --new 100 --skip-helpdesks

Part one builds a window of ``--window`` tickets over seven days (random unit vectors, as
``incidents/window.py`` keeps them: 512 signed bytes each), with the last hour's share of
them recent, then times what one run does with ``--new`` new tickets: add them, prune,
judge the hour (``incidents.grouping.judge``) and look for repeats; and the window file's save
and load. Memory: the window's bytes, and the peak of what the comparison allocates
(tracemalloc, numpy's allocations included). The comparison makes no request.

Part two loads the outage hour of ``tests/support/incident_scenario.py`` (1,000 ordinary
tickets over the week, solved, then the hour) into each sandbox, runs the incident pass once
with the real encoder, and counts the requests by endpoint: the first run reads the window's
baseline (Zendesk's export, 1,000 tickets a request; Freshdesk's list, 100 a request), then
the facts of the tickets concerned and the writes.
"""


WEEK = 7 * 86400


def comparison(window_size: int, new: int, rounds: int) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    now = int(time.time())
    window = Window()
    step = 20_000
    for start in range(0, window_size, step):
        n = min(step, window_size - start)
        rows = [
            Row(
                start + i + 1,
                int(rng.integers(1, window_size // 3)),
                int(now - rng.integers(600, WEEK)),
                "c",
                bool(rng.random() < 0.2),
            )
            for i in range(n)
        ]
        window.add(rows, rng.standard_normal((n, 512)).astype(np.float32))
    window.baseline_from = now - WEEK
    policy = IncidentPolicy()
    fault = load_fault_head()  # as a run with the real encoder judges: faults only
    recent = int((window.created >= now - 3600).sum())
    timings = []
    peaks = []
    next_id = window_size + 1
    for _ in range(rounds):
        rows = [
            Row(
                next_id + i,
                int(rng.integers(1, window_size // 3)),
                now - int(rng.integers(0, 600)),
                "c",
                True,
            )
            for i in range(new)
        ]
        next_id += new
        vectors = rng.standard_normal((new, 512)).astype(np.float32)
        tracemalloc.start()
        began = time.perf_counter()
        window.add(rows, vectors)
        window.prune(now, WEEK, window_size + new * rounds)
        judge(window, now, policy, fault=fault)
        repeats(window, list(window.rows_of([r.ticket_id for r in rows])), policy)
        timings.append(time.perf_counter() - began)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    window_bytes = sum(
        getattr(window, name).nbytes
        for name in ("ids", "requesters", "created", "categories", "open", "incident", "vectors")
    )
    with tempfile.TemporaryDirectory() as directory:
        began = time.perf_counter()
        save_window(Path(directory), window)
        saved = time.perf_counter() - began
        size = (Path(directory) / "window.npz").stat().st_size
        began = time.perf_counter()
        load_window(Path(directory))
        loaded = time.perf_counter() - began
    per_run = float(np.median(timings))
    return {
        "window": len(window),
        "recent_in_hour": recent + new,
        "new_per_run": new,
        "seconds_per_run": round(per_run, 4),
        "ms_per_new_ticket": round(per_run / new * 1000, 3),
        "window_mb": round(window_bytes / 1e6, 1),
        "comparison_peak_mb": round(max(peaks) / 1e6, 1),
        "file_mb": round(size / 1e6, 1),
        "save_seconds": round(saved, 3),
        "load_seconds": round(loaded, 3),
        "requests": 0,
    }


def other_kind_cost(window_size: int, rounds: int) -> dict[str, Any]:
    """What the other-kind test (with the lookalike test) and the vote of a report's neighbours
    add in an hour where a group forms: a window of ``window_size`` random tickets with 25
    reports of one thing in the last hour, judged with each and without (every ticket taken for
    a fault: the cost is the comparison's, and every one of the hour's 521 other tickets is a
    candidate for the vote, more than a fault head leaves)."""
    rng = np.random.default_rng(11)
    now = 1_800_000_000
    vectors = rng.standard_normal((window_size, 512)).astype(np.float32)
    created = rng.integers(now - WEEK, now - 3600, window_size)
    created[-546:] = rng.integers(now - 3500, now - 10, 546)
    vectors[-25:] = rng.standard_normal(512) + 0.5 * rng.standard_normal((25, 512))
    window = Window()
    window.add([Row(i + 1, i + 1, int(created[i]), "", True) for i in range(window_size)], vectors)
    window.baseline_from = now - WEEK
    seconds = {}
    shipped = IncidentPolicy()
    policies = {
        # Neither the other-kind test nor the lookalike test (one pass over the window), nor
        # the vote.
        "judge_seconds_without": replace(
            shipped, other_kind_rank=0, lookalike_rank=0, vote_neighbours=0
        ),
        # Both tests, without the vote of a report's neighbours (the hour's free reports, each
        # compared with the whole window once).
        "judge_seconds_without_vote": replace(shipped, vote_neighbours=0),
        "judge_seconds": shipped,
    }
    for name, policy in policies.items():
        timings = []
        for _ in range(rounds):
            began = time.perf_counter()
            judge(window, now, policy)
            timings.append(time.perf_counter() - began)
        seconds[name] = round(float(np.median(timings)), 3)
    return {"window": window_size, **seconds}


def baseline(kind: str) -> dict[str, Any]:
    from support.incident_scenario import load_freshdesk, load_zendesk, scenario

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.incidents.plan import Sighting
    from ticket_processor.incidents.run_pass import IncidentPass
    from ticket_processor.run.connect import connect, load_settings
    from ticket_processor.sandbox.desks import serve_desk

    class Quiet:
        def emit(self, event: str, **fields: Any) -> dict[str, Any]:
            return fields

    now = int(time.time())
    specs = scenario(1000, now=now)
    with serve_desk(KINDS[kind]) as running, tempfile.TemporaryDirectory() as state:
        sandbox = running.sandbox
        if kind == "zendesk":
            sandbox.config.incremental_limit_per_min = 1000
        ids = (load_zendesk if kind == "zendesk" else load_freshdesk)(sandbox, specs)
        store = sandbox.store
        sightings = []
        for ticket_id, spec in zip(ids, specs, strict=True):
            if spec.status == "open" and spec.created_at >= now - 3600:
                raw = store.get(ticket_id) if kind == "zendesk" else store.find(ticket_id)
                sightings.append(
                    Sighting(
                        ticket_id,
                        spec.subject,
                        f"{spec.subject}\n{spec.body}",
                        int(raw["requester_id"]),
                        spec.created_at,
                        "c",
                        True,
                    )
                )
        env = {**os.environ, **running.env(), "TICKETBOT_STATE_DIR": state}
        helpdesk = connect(load_settings(env))
        running.reset_stats()
        began = time.perf_counter()
        try:
            done = IncidentPass(
                IncidentPolicy(), helpdesk, Path(state), Quiet(), "bench", False, None
            ).run(sightings)
        finally:
            helpdesk.close()
        seconds = time.perf_counter() - began
        stats = running.stats()
    requests = stats.get("requests", {})
    return {
        "helpdesk": kind,
        "baseline_tickets": done.baseline_tickets,
        "baseline_pages": done.baseline_pages,
        "pass_seconds": round(seconds, 2),
        "incidents": done.incidents,
        "linked": done.linked,
        "flagged": done.flagged,
        "requests_total": sum(requests.values()),
        "requests": requests,
    }


def run_rss(window_size: int) -> dict[str, Any]:
    """A real ``ticketbot run --since 1h`` (no LLM: the learned engine and its encoder) with
    incidents on, on the outage hour in the Zendesk sandbox, over a window already holding
    ``window_size`` tickets: the child process's peak RSS."""
    import subprocess

    from support.incident_scenario import load_zendesk, scenario

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.sandbox.desks import serve_desk

    rng = np.random.default_rng(3)
    now = int(time.time())
    with serve_desk(KINDS["zendesk"]) as running, tempfile.TemporaryDirectory() as root:
        running.sandbox.config.incremental_limit_per_min = 1000
        load_zendesk(running.sandbox, scenario(1000, now=now))
        window = Window()
        for start in range(0, window_size, 20_000):
            n = min(20_000, window_size - start)
            rows = [
                Row(
                    10_000_000 + start + i,
                    10_000_000 + i,
                    int(now - rng.integers(7200, WEEK)),
                    "c",
                    False,
                )
                for i in range(n)
            ]
            window.add(rows, rng.standard_normal((n, 512)).astype(np.float32))
        window.baseline_from = now - WEEK
        save_window(Path(root) / "state" / "incidents", window)
        del window
        env = {
            **os.environ,
            **running.env(),
            "TICKETBOT_STATE_DIR": str(Path(root) / "state"),
            "TICKETBOT_LOG_DIR": str(Path(root) / "logs"),
            "TICKETBOT_INCIDENTS": "true",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        env.pop("OPENAI_API_KEY", None)
        began = time.perf_counter()
        usage = Path(root) / "usage.json"
        # Through the small launcher: a child forked from this process would be charged with
        # this process's peak (``bench_launch.py`` says why).
        launcher = [sys.executable, str(Path(__file__).with_name("bench_launch.py")), str(usage)]
        done = subprocess.run(
            [*launcher, sys.executable, "-m", "ticket_processor", "run", "--since", "1h"],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        seconds = time.perf_counter() - began
        figures = orjson.loads(usage.read_bytes())
    peak = figures["maxrss_kb"] / 1024
    return {
        "window": window_size,
        "exit_code": figures["exit_code"],
        "peak_rss_mb": round(peak, 1),
        "seconds": round(seconds, 1),
        "incidents_line": next(
            (line for line in done.stdout.splitlines() if line.startswith("incidents")), ""
        ),
    }


def write_labelled(path: Path) -> None:
    """The outage hour as a labelled file for ``ticketbot eval --grouping`` (the README's
    format): the outage's reports one group, each repeat with its earlier ticket one group."""
    from support.incident_scenario import iso, scenario

    specs = scenario(1000, now=int(time.time()))
    groups: dict[int, str] = {}
    for index, spec in enumerate(specs):
        if spec.label == "outage":
            groups[index] = "outage"
        elif spec.label == "repeat" and spec.repeat_of is not None:
            groups[index] = groups[spec.repeat_of] = f"repeat-{spec.repeat_of}"
    lines = [
        orjson.dumps(
            {
                "id": index + 1,
                "subject": spec.subject,
                "body": spec.body,
                "requester": spec.email,
                "created_at": iso(spec.created_at),
                "status": spec.status,
                "group": groups.get(index),
            }
        ).decode()
        for index, spec in enumerate(specs)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def incidents_bench(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=INCIDENTS_BENCH_DOC.split("\n\n")[0])
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100, help="new tickets a run (100)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-helpdesks", action="store_true")
    parser.add_argument(
        "--rss", type=int, metavar="WINDOW", help="also a real run's peak RSS over this window"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--other-kind",
        action="store_true",
        help="only what the other-kind test and the vote add to judging an hour with a group",
    )
    parser.add_argument(
        "--labelled-file", type=Path, help="write the outage hour as a labelled file and stop"
    )
    args = parser.parse_args(argv)
    if args.labelled_file is not None:
        write_labelled(args.labelled_file)
        return 0
    if args.other_kind:
        print(orjson.dumps(other_kind_cost(args.window, args.rounds)).decode())
        return 0
    result: dict[str, Any] = {"comparison": comparison(args.window, args.new, args.rounds)}
    if not args.skip_helpdesks:
        result["first_run"] = [baseline("zendesk"), baseline("freshdesk")]
    if args.rss:
        result["run"] = run_rss(args.rss)
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return 0
    c = result["comparison"]
    print(
        f"window {c['window']:,} tickets ({c['window_mb']} MB in memory, {c['file_mb']} MB file, "
        f"saved in {c['save_seconds']} s, loaded in {c['load_seconds']} s)\n"
        f"a run with {c['new_per_run']} new tickets ({c['recent_in_hour']} in the hour): "
        f"{c['seconds_per_run']} s, {c['ms_per_new_ticket']} ms a new ticket, "
        f"peak {c['comparison_peak_mb']} MB allocated, {c['requests']} requests"
    )
    if "run" in result:
        r = result["run"]
        print(
            f"ticketbot run --since 1h over a window of {r['window']:,}: peak RSS "
            f"{r['peak_rss_mb']} MB, {r['seconds']} s, exit {r['exit_code']}; {r['incidents_line']}"
        )
    for run in result.get("first_run", []):
        print(
            f"{run['helpdesk']}: first run read {run['baseline_tickets']} tickets of baseline in "
            f"{run['baseline_pages']} page(s); the pass took {run['pass_seconds']} s and "
            f"{run['requests_total']} requests in all ({run['incidents']} incident, "
            f"{run['linked']} linked, {run['flagged']} flagged): {run['requests']}"
        )
    return 0


# incidents_first_day -----------------------------------------------------------------------------

INCIDENTS_FIRST_DAY_DOC = """\
The incidents on a helpdesk's first day, on both sandboxes: the first-day hours of
``scripts/incident_heldout.py`` (``first_day``: a product's ordinary hour of 60 tickets from 60
customers, and its outage hour of 25 reports of one fault, 5 short and 5 not in English, among
35 of those), for two products by default (``--set``): a bike-sharing scheme
(``firstday_bikes.jsonl``) and a music streaming service (``firstday_music.jsonl``, another
author's), both the project's licence and held out (no value of the grouping was chosen on
them); ``--set thermostat`` and ``--set lock`` run a smart thermostat's and a smart lock's dev
sets (in-sample: for choosing values on). Each hour in a fresh sandbox, with no history and
after a week of the product's own tickets. Each is one real
``ticketbot run --since 1h`` (no LLM: the learned engine and its encoder) with incidents on;
the figure counts, by the ticket's part, the tickets linked, suggested
(``ai_incident_suggested``) and whose priority the incident pass set, and prints the run's
``cautious=``.

    python -m scripts.figures incidents_first_day [--set music] [--kind zendesk] [--hour outage]
"""


def first_day_run(kind: str, hour: str, history: bool, products: str = "bikes") -> dict[str, Any]:
    import subprocess

    from support.incident_scenario import LOADERS

    from scripts.incident_heldout import FIRST_DAY_SETS, first_day
    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.sandbox.desks import serve_desk

    now = int(time.time())
    specs = first_day(hour, now=now, history=history, source=FIRST_DAY_SETS[products])
    with serve_desk(KINDS[kind]) as running, tempfile.TemporaryDirectory() as root:
        sandbox = running.sandbox
        if kind == "zendesk":
            sandbox.config.incremental_limit_per_min = 1000
        ids = LOADERS[kind](sandbox, specs)
        before = len(running.ids())
        env = {
            **os.environ,
            **running.env(),
            "TICKETBOT_STATE_DIR": str(Path(root) / "state"),
            "TICKETBOT_LOG_DIR": str(Path(root) / "logs"),
            "TICKETBOT_INCIDENTS": "true",
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        env.pop("OPENAI_API_KEY", None)
        done = subprocess.run(
            [sys.executable, "-m", "ticket_processor", "run", "--since", "1h"],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        # Priorities the incident pass set (the triage sets its own: those are not counted).
        from datetime import UTC, datetime, timedelta

        from ticket_processor.common.eventlog import read_events

        since = datetime.now(UTC) - timedelta(days=1)
        reprioritised = {
            int(e["ticket_id"])
            for e in read_events(Path(root) / "logs", since=since)
            if e.get("event") == "incident_write" and "priority" in (e.get("routing") or {})
        }
        counts: dict[str, dict[str, int]] = {}
        for ticket_id, spec in zip(ids, specs, strict=True):
            if spec.label == "history":
                continue
            # Linked: the incident's tags, which every helpdesk's link write adds.
            tags = set(running.snapshot(ticket_id).tags)
            linked = bool({"ai_incident", "ai_incident_problem"} & tags)
            part = counts.setdefault(
                spec.label, {"tickets": 0, "linked": 0, "suggested": 0, "priority_changed": 0}
            )
            part["tickets"] += 1
            part["linked"] += linked
            part["suggested"] += "ai_incident_suggested" in tags
            part["priority_changed"] += ticket_id in reprioritised
        line = next((x for x in done.stdout.splitlines() if x.startswith("ticketbot run")), "")
        said = re.search(r"cautious=(['\"])(.*?)\1(?: |$)", line)
        cautious = said.group(2) if said else ""
        return {
            "set": products,
            "helpdesk": kind,
            "hour": hour,
            "history": "a week" if history else "none",
            "exit_code": done.returncode,
            "tickets_opened": len(running.ids()) - before,
            **{f"{label}_{k}": v for label, part in counts.items() for k, v in part.items()},
            "cautious": cautious,
        }


def incidents_first_day(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=INCIDENTS_FIRST_DAY_DOC, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=("zendesk", "freshdesk", "servicenow"), action="append")
    parser.add_argument("--hour", choices=("ordinary", "outage", "busy_outage"), action="append")
    parser.add_argument(
        "--set",
        choices=("bikes", "music", "thermostat", "lock", "stream", "lockers"),
        action="append",
        dest="sets",
    )
    args = parser.parse_args(argv)
    for products in args.sets or ("bikes", "music"):
        for kind in args.kind or ("zendesk", "freshdesk", "servicenow"):
            for hour in args.hour or ("ordinary", "outage", "busy_outage"):
                for history in (False, True):
                    row = first_day_run(kind, hour, history, products)
                    print(json.dumps(row), flush=True)


INCIDENTS_FIRST_DAY_DEV_DOC = """\
The first-day values' development hours (in-sample: ``short_rate_factor``, ``core_neighbours``
and ``core_gather`` were chosen on them): with no history, ten ordinary hours of 30 ``noise``
tickets of ``tests/data/incident_sources/heldout*.jsonl`` and 30 ordinary or payment tickets of
``tests/support/incident_scenario.py``, and ten outage hours of one file's 25 reports among 35
such tickets. Prints, per hour, the outage's reports and the other tickets the incidents took.
``--week``: the same hours after a week of the shop's own tickets (350 solved, from eight days
back to two hours back, 3 in 10 a ``noise`` ticket, the rest ordinary or payment ones).

    python -m scripts.figures incidents_first_day_dev [--week] [--set cue_similarity=0]

``--products thermostat --products lock --products stream``: instead, the first-day dev sets'
hours of ``scripts/incident_heldout.py`` (``first_day``) judged the same way, without a sandbox:
each hour with no history and after a week of the product's own tickets, the outage's reports
and the other tickets the incidents took (``incidents_first_day`` runs them on the sandboxes).
"""


def first_day_dev_week(seed: int) -> list[dict[str, Any]]:
    """The week before a dev hour (``incidents_first_day_dev --week``), from the dev pools."""
    from support.incident_scenario import _ORDINARY, _PAYMENT, _fill

    sources = ROOT / "tests" / "data" / "incident_sources"
    noise = [
        json.loads(x)
        for f in sorted(sources.glob("heldout*.jsonl"))
        for x in f.read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    noise = [x for x in noise if x["part"] == "noise"]
    rng = random.Random(100 + seed)
    week = []
    for i in range(350):
        if rng.random() < 0.3:
            line = rng.choice(noise)
            subject, body = _fill(rng, (line["subject"], line["body"]))
        else:
            subject, body = _fill(rng, rng.choice(_ORDINARY + _PAYMENT))
        at = NOW - 8 * DAY + rng.randint(0, 8 * DAY - 7200)
        week.append(
            {
                "id": 10_000 + i,
                "subject": subject,
                "body": body,
                "requester": f"w{i}",
                "_created": at,
                "status": "solved",
                "group": "history",
            }
        )
    return week


def first_day_dev_hours(seed: int) -> list[tuple[str, list[dict[str, Any]]]]:
    from support.incident_scenario import _ORDINARY, _PAYMENT, _fill

    sources = ROOT / "tests" / "data" / "incident_sources"
    rng = random.Random(seed)
    files = sorted(p.name for p in sources.glob("heldout*.jsonl"))

    def lines(name: str) -> list[dict[str, str]]:
        text = (sources / name).read_text(encoding="utf-8")
        return [json.loads(x) for x in text.splitlines() if x.strip()]

    def fill(template: dict[str, str]) -> tuple[str, str]:
        subject, body = _fill(rng, (template["subject"], template["body"]))
        return str(subject), str(body)

    noise = [x for f in files for x in lines(f) if x["part"] == "noise"]
    ordinary = [(*fill(t), "ordinary") for t in rng.sample(noise, 30)]
    ordinary += [(*_fill(rng, rng.choice(_ORDINARY + _PAYMENT)), "ordinary") for _ in range(30)]
    own = files[seed % len(files)]
    outage = [(*fill(t), "outage") for t in lines(own) if t["part"] == "outage"]
    others = [t for t in noise if t not in lines(own)]
    outage += [(*fill(t), "ordinary") for t in rng.sample(others, 17)]
    outage += [(*_fill(rng, rng.choice(_ORDINARY + _PAYMENT)), "ordinary") for _ in range(18)]
    hours = []
    for name, texts in (("ordinary", ordinary), (f"outage {own}", outage)):
        at = random.Random(seed)
        rows = [
            {
                "id": i + 1,
                "subject": subject,
                "body": body,
                "requester": f"c{i}",
                "_created": NOW - 3500 + at.randint(0, 3400),
                "status": "open",
                "group": group,
            }
            for i, (subject, body, group) in enumerate(texts)
        ]
        hours.append((name, rows))
    return hours


def incidents_first_day_dev(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=INCIDENTS_FIRST_DAY_DEV_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--week", action="store_true", help="after a week of history")
    parser.add_argument(
        "--products",
        choices=("thermostat", "lock", "stream", "bikes", "music", "lockers"),
        action="append",
    )
    args = parser.parse_args(argv)
    policy, head, encode = IncidentPolicy(), load_fault_head(), Encoder().encode
    kinds = {f.name: f.type for f in fields(IncidentPolicy)}
    for item in args.set:
        name, value = item.split("=", 1)
        number: Any = int(value) if kinds[name] in (int, "int") else float(value)
        policy = replace(policy, **{name: number})
    if args.products:
        first_day_dev_products(args.products, policy, head, encode)
        return
    totals = {"ordinary": [0, 0], "outage": [0, 0]}
    for seed in range(10):
        week = first_day_dev_week(seed) if args.week else []
        for name, rows in first_day_dev_hours(seed):
            window, now = labelled_window(week + rows, encode)
            since = now - 8 * DAY if args.week else window.baseline_from
            found = judge(window, now, policy, fault=head, history_from=since)
            took = [int(window.ids[r]) for burst in found.bursts for r in burst.rows]
            group = {int(r["id"]): r["group"] for r in week + rows}
            reports = sum(group[t] == "outage" for t in took)
            print(f"{seed} {name:28} outage reports {reports:2}  others {len(took) - reports:2}")
            total = totals[name.split()[0]]
            total[0] += reports
            total[1] += len(took) - reports
    for hour, (reports, others) in totals.items():
        print(f"all {hour} hours: outage reports {reports}, others {others}")


def first_day_rows(product: str, hour: str, history: bool) -> list[dict[str, Any]]:
    """A first-day dev set's hour (``incident_heldout.first_day``) as labelled rows, ids from 1
    in the order of creation, ``group`` saying which part each ticket is."""
    from scripts.incident_heldout import FIRST_DAY_SETS, first_day

    specs = first_day(hour, now=NOW, history=history, source=FIRST_DAY_SETS[product])
    return [
        {
            "id": i + 1,
            "subject": s.subject,
            "body": s.body,
            "requester": s.email,
            "_created": s.created_at,
            "status": s.status,
            "group": s.label,
        }
        for i, s in enumerate(specs)
    ]


def first_day_dev_products(
    products: list[str], policy: IncidentPolicy, head: FaultHead, encode: Any
) -> None:
    """``incidents_first_day_dev --products``: the first-day dev sets judged without a sandbox."""
    for name in products:
        for hour in ("ordinary", "outage", "busy_outage"):
            for history in (False, True):
                rows = first_day_rows(name, hour, history)
                window, _ = labelled_window(rows, encode)
                since = NOW - 8 * DAY if history else min(int(row["_created"]) for row in rows)
                found = judge(window, NOW, policy, fault=head, history_from=since)
                took = [int(window.ids[r]) for burst in found.bursts for r in burst.rows]
                reports = sum(rows[t - 1]["group"] == "outage" for t in took)
                week = "a week" if history else "none"
                # The largest group judged and its reading: what the first day's prior weighs.
                judged = max(found.bursts + found.declined, key=lambda b: len(b.rows), default=None)
                largest = ""
                if judged is not None and not history:
                    read = judged.reading
                    largest = (
                        f"  largest group {read.reports} against {read.hour_others} other "
                        f"tickets, {'an incident' if read.incident else 'none'}"
                    )
                print(
                    f"{name:10} {hour:11} history {week:6} outage reports {reports:2}  "
                    f"others {len(took) - reports:2}{largest}",
                    flush=True,
                )


INCIDENTS_FIRST_DAY_READINGS_DOC = """Readings of a first-day outage's members tried beside the
one-fault test's centre, on the first-day dev sets only (the thermostat, the smart lock and the
streaming app of ``scripts/incident_heldout.py``; in-sample), each outage hour with no history.
The group is the one the grouping forms; its members are those the one-fault test keeps today
(within ``shared_gather_short`` of the core's centre), each read with the product's common
ground taken out, as the test reads them:

- ``centre``: the similarity to the core's centre (what ships, with its bar);
- ``hour``: that similarity less the similarity to the member's 3rd-nearest ticket of the hour
  outside the group (the hour itself as background);
- ``core``: the similarity to the member's 5th-nearest report of the core (several core
  members, not only their centre);
- ``medoid``: the similarity to the core's medoid.

For each reading: the highest bar that keeps at least 22 of 25 reports on every dev outage, and
the outage's reports and the ordinary tickets it keeps on each; then the bar chosen for each
set alone (the best any single bar could do there).

    python -m scripts.figures incidents_first_day_readings
"""


def first_day_readings_of(
    product: str, policy: IncidentPolicy, head: FaultHead, encode: Any
) -> dict[str, Any]:
    """The readings (``incidents_first_day_readings``) of one dev set's outage hour's members
    the one-fault test keeps, with which of them are the outage's reports."""
    rows = first_day_rows(product, "outage", history=False)
    window, _ = labelled_window(rows, encode)
    since = min(int(row["_created"]) for row in rows)
    # Every member the group gathers, so the one-fault test can be read here as it ships.
    whole = replace(policy, shared_gather_short=-1.0)
    found = judge(window, NOW, whole, fault=head, history_from=since)
    start = NOW - policy.burst_seconds

    def outage(r: int) -> bool:
        return bool(rows[int(window.ids[r]) - 1]["group"] == "outage")

    burst = max(found.bursts, key=lambda b: sum(map(outage, b.rows)))
    group = np.asarray(burst.rows, np.int64)
    shared = shared_core(window, group, start, policy, short=True)
    assert shared is not None
    vectors = apart(window, group, shared.common)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    core = (sims >= policy.shared_similarity).sum(axis=1) >= min(
        policy.shared_neighbours, len(group) - 1
    )
    medoid = np.flatnonzero(core)[sims[np.ix_(core, core)].sum(axis=1).argmax()]
    hour = np.setdiff1d(np.flatnonzero(window.created >= start), group)
    to_hour = np.sort(vectors @ apart(window, hour, shared.common).T, axis=1)[:, ::-1]
    to_centre = vectors @ shared.centre
    readings = {
        "centre": to_centre,
        "hour": to_centre - to_hour[:, 2],
        "core": np.sort(sims[:, core], axis=1)[:, ::-1][:, 4],
        "medoid": np.where(np.arange(len(group)) == medoid, 1.0, sims[:, medoid]),
    }
    kept = shared.kept
    return {
        "outage": np.array([outage(r) for r in group])[kept],
        "readings": {name: values[kept] for name, values in readings.items()},
    }


def incidents_first_day_readings(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(
        description=INCIDENTS_FIRST_DAY_READINGS_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args(argv)
    policy, head, encode = IncidentPolicy(), load_fault_head(), Encoder().encode
    products = ("thermostat", "lock", "stream")
    sets = {p: first_day_readings_of(p, policy, head, encode) for p in products}
    wanted = 22  # of the outage's 25 reports, the first day's bar

    def kept(product: str, name: str, bar: float) -> str:
        values, outage = sets[product]["readings"][name], sets[product]["outage"]
        return f"{int((outage & (values >= bar)).sum())}+{int((~outage & (values >= bar)).sum())}"

    def highest(product: str, name: str) -> float:
        values, outage = sets[product]["readings"][name], sets[product]["outage"]
        ranked = np.sort(values[outage])[::-1]
        return float(ranked[min(wanted, len(ranked)) - 1])

    print("reports+ordinary kept, with no history:", "  ".join(products))
    print(f"as it ships: centre at {policy.shared_gather_short:.2f}     ", end="")
    print("  ".join(kept(p, "centre", policy.shared_gather_short) for p in products))
    for name in ("centre", "hour", "core", "medoid"):
        bar = min(highest(p, name) for p in products)
        print(
            f"{name:7} one bar {bar:5.2f}:", "  ".join(kept(p, name, bar) for p in products), end=""
        )
        alone = [f"{kept(p, name, highest(p, name))} at {highest(p, name):.2f}" for p in products]
        print("   each set's own bar:", ", ".join(alone))


# repeat_pairs ------------------------------------------------------------------------------------

REPEAT_PAIRS_DOC = """\
Repeat-ticket flags on pairs of a customer's two tickets within the hour.

    python -m scripts.figures repeat_pairs tests/data/repeat_pairs_dev.jsonl

FILE is JSON lines: ``{"first": {"subject", "description"}, "second": {...}, "label":
"follow_up" | "other_matter"}``. Each pair is one customer's two open tickets, the second ten
minutes after the first, put in a window of their own and judged by the product's encoder and
repeat rule (``incidents.follow_up.follow_ups``, the shipped ``IncidentPolicy``). Printed: the
follow-ups flagged and the other matters flagged, under the cosine alone (``follow_up_needs_sign``
off: the rule before the sign was asked) and as shipped, and each label's cosines.
"""


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
    parser = _parser(REPEAT_PAIRS_DOC)
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
