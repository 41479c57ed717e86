"""The incident grouping on outage hours made of BANKING77's own rows: one fault reported by 25
customers in their own words, in a week of other questions, beside a burst of 20 requests.

    python scripts/incident_hours_banking77.py /work/data/incidents/banking77_test.csv

BANKING77 (PolyAI-LDN/task-specific-datasets, CC BY 4.0; not in the repository: bring it with
the search tool's ``fetch``) has no hours of its own, so each hour is built from it: 600 rows of
the other intents spread over the week before (solved), then within the last hour 25 rows of
one fault intent (each its own customer: one group), 20 rows of one request intent (a request
burst) and 20 rows of other intents. Six hours, one per pair of intents below; deterministic
for ``--seed``. Each is scored as ``ticketbot eval --grouping`` scores a labelled file (the
files are written to ``--keep DIR`` when given). ``test.csv`` was not used to fit or tune the
fault head or the grouping (``train.csv`` may be, for development).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from ticket_processor.incidents.fault import load_fault_head
from ticket_processor.incidents.labelled import evaluate_grouping
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.learned.embed import Encoder

PAIRS = (
    ("card_not_working", "cancel_transfer"),
    ("declined_transfer", "request_refund"),
    ("top_up_failed", "change_pin"),
    ("failed_transfer", "edit_personal_details"),
    ("contactless_not_working", "exchange_rate"),
    ("declined_card_payment", "terminate_account"),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", type=Path, help="BANKING77's test.csv (or train.csv)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the labelled hours here")
    parser.add_argument("--similarity", type=float, help="the grouping's (the policy's default)")
    parser.add_argument("--gather", type=float, help="the grouping's gather_similarity")
    parser.add_argument("--threshold", type=float, help="the fault head's (its file's)")
    parser.add_argument("--other-kind-rank", type=int, help="the grouping's other_kind_rank")
    parser.add_argument("--lookalike-rank", type=int, help="the grouping's lookalike_rank")
    parser.add_argument("--maybe-fault", type=float, help="the grouping's maybe_fault (1: off)")
    args = parser.parse_args()
    by_intent: dict[str, list[str]] = {}
    with args.csv.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_intent.setdefault(row["category"], []).append(row["text"])
    encode, head, policy = Encoder().encode, load_fault_head(), IncidentPolicy()
    if args.similarity is not None:
        policy = replace(policy, similarity=args.similarity)
    if args.gather is not None:
        policy = replace(policy, gather_similarity=args.gather)
    if args.other_kind_rank is not None:
        policy = replace(policy, other_kind_rank=args.other_kind_rank)
    if args.lookalike_rank is not None:
        policy = replace(policy, lookalike_rank=args.lookalike_rank)
    if args.maybe_fault is not None:
        policy = replace(policy, maybe_fault=args.maybe_fault)
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


if __name__ == "__main__":
    main()
