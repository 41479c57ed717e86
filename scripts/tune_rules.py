"""Tune the keyword rules with held-out discipline: score a random half, check the other.

    python scripts/tune_rules.py ../shared/data/tickets-dev.jsonl [--taxonomy FILE] [--seed 7]
        [--split random|even|odd] [--errors CATEGORY] [--words]

Prints category / urgency / sentiment macro-F1 per source and pooled on the *tune* half, the
*check* half and the whole file. ``--split even`` tunes on the even-numbered rows of each source
and checks on the odd ones (``odd`` the other way round): a fixed split, so a change judged on
one half can be checked on the other, and both directions reported. ``--errors bug`` lists
tune-half rows whose gold label is ``bug`` but were predicted otherwise; ``--words`` lists the
words most over-represented in each gold category of the tune half (ideas for general
vocabulary, to be judged by a person, never pasted in wholesale).
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from ticket_processor.learned.scoring import POOLED, evaluate
from ticket_processor.triage.cues import is_word, tokenise
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--taxonomy", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split", choices=("random", "even", "odd"), default="random")
    parser.add_argument("--errors")
    parser.add_argument("--source")
    parser.add_argument("--field", default="category")
    parser.add_argument("--words", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.file.read_text("utf-8").splitlines() if line]
    tune, check = split(rows, args.split, args.seed)
    taxonomy = load_taxonomy(args.taxonomy)
    engine = RulesEngine(taxonomy)
    allowed = {
        "category": taxonomy.names,
        "urgency": ("critical", "high", "medium", "low"),
        "sentiment": ("positive", "neutral", "negative"),
    }
    for name, part in (("tune", tune), ("check", check), ("all", rows)):
        predictions = []
        for row in part:
            analysis = engine.analyse(row["subject"], row["description"])
            predictions.append(
                {
                    "category": analysis.category,
                    "urgency": analysis.urgency.value,
                    "sentiment": analysis.sentiment.value,
                }
            )
            row["_pred"] = predictions[-1]
        reports = evaluate(part, predictions, allowed)
        figures = []
        for field_name, report in reports.items():
            for source, score in report.scores.items():
                if field_name == "category" or source != POOLED:
                    figures.append(f"{field_name[:3]}/{source}={score.macro_f1:.3f}")
        print(f"{name:5}", " ".join(figures))
        if name == "tune" and args.field in reports:
            pooled = reports[args.field].scores.get(args.source or POOLED)
            if pooled:
                print("   labels", pooled.labels)
                for gold in pooled.labels:
                    print(f"   {gold:16}", [pooled.confusion[gold][p] for p in pooled.labels])
    if args.errors:
        for row in tune:
            gold = row["labels"].get(args.field)
            if args.source and row["source"] != args.source:
                continue
            if gold == args.errors and row["_pred"][args.field] != gold:
                text = (row["subject"] + " | " + row["description"])[:200].replace("\n", " ")
                print(f"-> {row['_pred'][args.field]:14} {row['source']:9} {text}")
    if args.words:
        print_words(tune, args.field, args.source)


def split(rows: list[Any], how: str, seed: int) -> tuple[list[Any], list[Any]]:
    """The tune and check halves: a seeded shuffle, or alternate rows within each source."""
    if how == "random":
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        return shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :]
    halves: tuple[list[Any], list[Any]] = ([], [])
    position: Counter[object] = Counter()
    for row in rows:
        parity = position[row["source"]] % 2
        position[row["source"]] += 1
        halves[parity].append(row)
    return halves if how == "even" else (halves[1], halves[0])


def print_words(rows: list[dict[str, object]], field: str, source: str | None) -> None:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        labels = row["labels"]
        assert isinstance(labels, dict)
        gold = labels.get(field)
        if gold is None or (source and row["source"] != source):
            continue
        text = f"{row['subject']} {row['description']}"[:3000]
        counts[gold].update({t for t in tokenise(text) if is_word(t)})
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    docs = Counter(str(row["labels"].get(field)) for row in rows)  # type: ignore[attr-defined]
    for gold, counter in counts.items():
        scored = []
        for word, count in counter.items():
            if count < 4:
                continue
            rest = total[word] - count
            rest_docs = sum(docs.values()) - docs[gold]
            odds = math.log((count + 1) / (docs[gold] + 2)) - math.log((rest + 1) / (rest_docs + 2))
            scored.append((odds * math.sqrt(count), word))
        print(gold, " ".join(word for _, word in sorted(scored, reverse=True)[:60]))


if __name__ == "__main__":
    main()
