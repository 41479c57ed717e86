"""Redaction figures: precision and recall on both corpora, and throughput.

    python scripts/redaction_figures.py

Prints, for the labelled case file (``tests/data/redaction_cases.jsonl``) and the hostile
corpus (``ticket_processor/evaluation/redaction_corpus.py``): values found and leaked, harmless
texts changed, precision and recall; the recall on the personal data beyond the usual ASCII
spellings (``FORMS``: other scripts' digits, internationalised emails, national ids, IP
addresses, wallets) and how many of their harmless look-alikes (``LOOKALIKES``) were kept;
then the time a ticket costs (tickets of twelve corpus texts, and one of prose); then
megabytes a second on prose and on each hostile shape
of ``HOSTILE_MEGABYTE`` (best of three; the machine's load moves these, the ratios to prose much
less). Exit status 0 when nothing leaked and nothing harmless was changed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT))
CASES = ROOT / "tests" / "data" / "redaction_cases.jsonl"  # a data file, read as data

from ticket_processor.evaluation.redaction import leaks, read_cases, score  # noqa: E402
from ticket_processor.evaluation.redaction_corpus import (  # noqa: E402
    FORMS,
    HARMLESS,
    HELD_OUT,
    HELD_OUT_LOOKALIKES,
    HOSTILE_MEGABYTE,
    LOOKALIKES,
    PII,
    PROSE,
)
from ticket_processor.triage.redact import redact  # noqa: E402


def _rate(text: str) -> float:
    best = min(_time(text) for _ in range(3))
    return len(text) / 1_000_000 / best


def _time(text: str) -> float:
    started = time.perf_counter()
    redact(text)
    return time.perf_counter() - started


def _per_ticket(tickets: list[str]) -> float:
    """Microseconds per ticket, best of three passes over ``tickets``."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for ticket in tickets:
            redact(ticket)
        best = min(best, time.perf_counter() - started)
    return best / len(tickets) * 1_000_000


def main() -> int:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    tp, fp, fn, _ = score(read_cases(CASES))
    print(
        f"case file: tp={tp} fp={fp} fn={fn} "
        f"precision={tp / (tp + fp):.3f} recall={tp / (tp + fn):.3f}"
    )
    values = sum(len(v) for _, _, v in PII)
    leaked = sum(len(leaks(text, v)) for _, text, v in PII)
    changed = sum(1 for _, text in HARMLESS if redact(text)[0] != text)
    found = values - leaked
    print(
        f"hostile corpus: {len(PII)} PII texts, {values} values, {leaked} leaked; "
        f"{len(HARMLESS)} harmless texts, {changed} changed; "
        f"precision={found / (found + changed):.3f} recall={found / values:.3f}"
    )
    form_values = sum(len(v) for _, _, v in FORMS)
    form_leaks = [(note, value) for note, text, v in FORMS for value in leaks(text, v)]
    kept = sum(1 for _, text in LOOKALIKES if redact(text)[0] == text)
    print(
        f"other forms: {len(FORMS)} texts, {form_values} values, {len(form_leaks)} leaked, "
        f"recall={(form_values - len(form_leaks)) / form_values:.3f}; "
        f"look-alikes kept {kept} of {len(LOOKALIKES)}; "
        f"all harmless kept {len(HARMLESS) - changed} of {len(HARMLESS)}"
    )
    for note, value in form_leaks:
        print(f"  leaked ({note}): {value!r}")
    reached = [note for note, text, v in HELD_OUT if leaks(text, v)]
    kept_out = sum(1 for text in HELD_OUT_LOOKALIKES if redact(text)[0] == text)
    print(
        f"held-out set: {len(HELD_OUT) - len(reached)} of {len(HELD_OUT)} forms never reach "
        f"the LLM; look-alikes kept {kept_out} of {len(HELD_OUT_LOOKALIKES)}"
    )
    for note in reached:
        print(f"  reaches the LLM: {note}")
    texts = [str(c["text"]) for c in read_cases(CASES)] + [t for _, t, _ in PII]
    texts += [t for _, t in HARMLESS]
    tickets = ["\n\n".join(texts[i : i + 12]) for i in range(0, len(texts), 12)]
    print(
        f"per ticket: {_per_ticket(tickets):.0f} µs mean over {len(tickets)} tickets of 12 corpus "
        f"texts each; {_per_ticket([PROSE * 6]):.0f} µs for a ticket of {len(PROSE) * 6} "
        "characters of prose (best of three)"
    )
    prose = (PROSE * (1_000_000 // len(PROSE) + 1))[:1_000_000]
    base = _rate(prose)
    print(f"throughput: prose {base:.2f} MB/s")
    for hostile in HOSTILE_MEGABYTE:
        rate = _rate(hostile[:1_000_000])
        print(f"  {hostile[:18]!r:24} {rate:6.2f} MB/s  ({base / rate:.1f}x prose's time)")
    return 0 if leaked == 0 and changed == 0 and fp == 0 and fn == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
