"""Incident figures on the dev hours: the grouping's figures on them, and what each of its stages
does to an hour."""

from __future__ import annotations

import csv
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from support.incident_dev_hours import FAULTS, write_dev_hour

from scripts.figures_incidents import NOW, PAIRS, _parser, build
from ticket_processor.incidents.fault import load_fault_head
from ticket_processor.incidents.grouping import _faults, _other_kind, _reading, judge
from ticket_processor.incidents.labelled import (
    GroupingScore,
    evaluate_grouping,
    labelled_window,
    read_labelled,
)
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.vote import nearest
from ticket_processor.incidents.window import quantise
from ticket_processor.learned.embed import Encoder

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
