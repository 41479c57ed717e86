"""Rebuild the default model shipped in the package, reproducibly, from shippable data only.

    python scripts/train_default_model.py [--data ../shared/data/tickets-dev.jsonl]
        [--out ticket_processor/learned/default-model.zip] [--folds 5]

Trains on the dev set's banking77 (CC BY 4.0), bitext (CDLA-Sharing-1.0) and nlbse rows plus
the project's own sample tickets (``ticket_processor/samples/tickets.jsonl``, source
``samples``). The airline and tobi rows are non-commercial: never in the shipped model, so they
are dropped here before anything else. Same seed, same data, same model; the training date is
``SOURCE_DATE_EPOCH`` when set. Prints the cross-validated figures: the ``samples`` column is
the accuracy on sample tickets each predicted by a model that did not see it.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from ticket_processor.commands.learn import result_table
from ticket_processor.learned import save_model
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.samples import sample_rows
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.triage.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
SHIPPABLE = ("banking77", "bitext", "nlbse")
DEFAULT_OUT = ROOT / "ticket_processor" / "learned" / "default-model.zip"


def shippable_rows(data: Path) -> list[LabelledTicket]:
    return [row for row in load_labelled(data) if row.source in SHIPPABLE] + sample_rows()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"{args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    rows = shippable_rows(args.data)
    console = Console(highlight=False)
    result = train(
        rows,
        load_taxonomy(None),
        options=TrainOptions(folds=args.folds),
        on_step=lambda step: console.print(f"[dim]{step}[/]"),
        clock=lambda: when,
    )
    save_model(result.model, args.out)
    console.print(result_table(result))
    for field in result.fields.values():
        for warning in field.warnings:
            console.print(f"[yellow]warning:[/] {warning}")
    console.print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB, {len(rows)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
