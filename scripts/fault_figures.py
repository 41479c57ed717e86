"""The fault/request head on sources it was not fitted on, and what it costs a ticket.

    python scripts/fault_figures.py --banking77 /work/data/incidents/banking77_test.csv \
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

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ticket_processor.incidents.fault import FaultHead, load_fault_head
from ticket_processor.incidents.window import quantise
from ticket_processor.learned.embed import Encoder

BANKING_FAULT = {
    "card_not_working",
    "contactless_not_working",
    "virtual_card_not_working",
    "declined_card_payment",
    "declined_cash_withdrawal",
    "declined_transfer",
    "failed_transfer",
    "top_up_failed",
    "card_swallowed",
    "unable_to_verify_identity",
}
BANKING_REQUEST = {
    "cancel_transfer",
    "request_refund",
    "change_pin",
    "edit_personal_details",
    "terminate_account",
    "order_physical_card",
    "getting_spare_card",
    "get_physical_card",
    "get_disposable_virtual_card",
    "getting_virtual_card",
    "exchange_rate",
    "exchange_via_app",
    "top_up_limits",
    "card_delivery_estimate",
    "fiat_currency_support",
    "age_limit",
    "visa_or_mastercard",
    "supported_cards_and_currencies",
    "automatic_top_up",
    "verify_my_identity",
    "why_verify_identity",
    "country_support",
    "disposable_card_limits",
    "receiving_money",
    "transfer_into_account",
    "activate_my_card",
}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--banking77", type=Path, help="BANKING77's test.csv")
    parser.add_argument("--dev", type=Path, help="the development set (its nlbse rows)")
    parser.add_argument("--head", type=Path, help="a head file to score (the packaged one)")
    parser.add_argument("--against", type=Path, help="a second head file to compare it with")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
