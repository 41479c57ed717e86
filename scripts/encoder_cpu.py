"""CPU of the learned engine's sentence encoder in this process: loading it, then encoding
tickets one by one (as a run's workers do when they do not meet at the encoder).

A whole run's CPU (``scripts/bench.py``) moves by two or three seconds between runs on a shared
machine, more than a change to the encoder saves; this measures the encoder alone. The texts
are the tickets and replies of ``tests/data`` (the project's own writing): each row's subject
and text, 667 of them.

    python scripts/encoder_cpu.py
    PYTHONPATH=/path/to/other/checkout python scripts/encoder_cpu.py --json

Prints the CPU seconds (``time.process_time``) of loading the model and of encoding the texts.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ticket_processor.learned.embed import Encoder

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FILES = (
    "answers_tickets.jsonl",
    "replies.jsonl",
    "replies_second.jsonl",
    "kb_tickets.jsonl",
    "examples_tickets.jsonl",
)


def texts() -> list[str]:
    found: list[str] = []
    for name in FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            body = row.get("text") or row.get("description") or row.get("body") or ""
            found.append(f"{row.get('subject', '')}\n{body}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    rows = texts()
    started = time.process_time()
    model = Encoder()._load()
    model.encode(["warm"])  # the weights and the tokeniser load on the first call
    loaded = time.process_time() - started
    started = time.process_time()
    for text in rows:
        Encoder().encode([text])
    encoded = time.process_time() - started
    figures = {
        "texts": len(rows),
        "mean_chars": round(sum(map(len, rows)) / len(rows)),
        "load_cpu_seconds": round(loaded, 3),
        "encode_cpu_seconds": round(encoded, 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        load, encode = figures["load_cpu_seconds"], figures["encode_cpu_seconds"]
        print(
            f"{figures['texts']} texts, {figures['mean_chars']} characters on average: "
            f"loading {load} s of CPU, encoding {encode} s"
        )


if __name__ == "__main__":
    main()
