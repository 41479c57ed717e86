"""The incident grouping's development figures: the hours its values may be chosen on.

    python scripts/incident_dev_figures.py --banking77 /work/data/incidents/banking77_train.csv

Scores, as ``ticketbot eval --grouping`` does, the four dev hours of
``tests/support/incident_dev_hours.py`` (the project's own writing: an outage each beside a
neighbouring but different problem and a request burst), the checkout hour
(``tests/data/incident_hour_checkout.jsonl``) and, with ``--banking77``, the six hours
``incident_hours_banking77.py`` builds from BANKING77's *train* split (PolyAI-LDN/
task-specific-datasets, CC BY 4.0; not in the repository). In-sample figures all: the held-out
hours are scored by ``ticketbot eval --grouping`` and ``incident_hours_banking77.py`` on
``test.csv``. ``--set NAME=VALUE`` changes one of the policy's values (repeatable).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))
sys.path.insert(1, str(ROOT / "scripts"))

from incident_hours_banking77 import PAIRS, build  # noqa: E402
from support.incident_dev_hours import FAULTS, write_dev_hour  # noqa: E402

from ticket_processor.incidents.fault import load_fault_head  # noqa: E402
from ticket_processor.incidents.labelled import GroupingScore, evaluate_grouping  # noqa: E402
from ticket_processor.incidents.policy import IncidentPolicy  # noqa: E402
from ticket_processor.learned.embed import Encoder  # noqa: E402

NOW = 1_800_000_000


def line(name: str, result: GroupingScore, group: str) -> str:
    short = result.forms.get("short", (0, 0))
    foreign = result.forms.get("foreign", (0, 0))
    return (
        f"{name:34} kept {result.per_group.get(group, 0):.2f}  pairs "
        f"{result.pair_precision:.2f}/{result.pair_recall:.2f}  others "
        f"{result.others_in_incidents:2}  requests in {result.requests_in_incidents:2}  short "
        f"{short[0]}/{short[1]}  foreign {foreign[0]}/{foreign[1]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--banking77", type=Path, help="BANKING77's train.csv")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--threshold", type=float, help="the fault head's (its file's)")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
