"""Which stage of the incident grouping keeps a labelled outage out of an incident.

    python scripts/incident_stages.py tests/data/incident_hour_heldout7.jsonl

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

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from ticket_processor.incidents.fault import load_fault_head
from ticket_processor.incidents.grouping import (
    _faults,
    _other_kind,
    _reading,
    judge,
)
from ticket_processor.incidents.labelled import labelled_window, read_labelled
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.vote import nearest
from ticket_processor.incidents.window import quantise
from ticket_processor.learned.embed import Encoder


def counts(values: npt.NDArray[np.int64]) -> str:
    """``values`` sorted, largest first."""
    return " ".join(str(int(v)) for v in sorted(values.tolist(), reverse=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="a labelled hour (JSON lines)")
    parser.add_argument("--group", default="outage", help="the true group to follow")
    args = parser.parse_args()
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
            policy.burst_seconds / 3600.0,
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


if __name__ == "__main__":
    main()
