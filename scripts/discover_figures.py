"""How well ``ticketbot discover`` finds known intents it is not told about, and what it costs.

For the bitext (27 intents) and banking77 (73 intents) rows in tests/data, with their labels
removed: the topics ``discover`` proposes are compared with the hidden intents by adjusted mutual
information (AMI: a split into many small topics is not rewarded), with the share of tickets in a
topic and the number of topics; beside them, the plain baseline: k-means on the same vectors,
told the true number of intents (10 restarts, seed 0). A ticket without a topic counts as one
more group in the AMI (it is not dropped). Then the cost on a synthetic 50,000-ticket input (the
same rows with words dropped at random, so no two are identical): seconds per stage and the peak
resident memory.

    python scripts/discover_figures.py [--scale 50000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_mutual_info_score

from ticket_processor.commands.discover_io import TicketText, judge
from ticket_processor.learned.embed import texts_encoded
from ticket_processor.run.connect import load_settings
from ticket_processor.run.engines import build_eval_chain
from ticket_processor.topics.cluster import Vectors
from ticket_processor.topics.discover import FoundTopics, TopicInput, discover
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _rows(source: str) -> tuple[list[TicketText], list[str]]:
    tickets, intents = [], []
    for line in (DATA / f"{source}.jsonl").read_text().splitlines():
        row = json.loads(line)
        tickets.append(TicketText(row["id"], row.get("subject") or "", row["description"]))
        intents.append(row["labels"]["subcategory"])
    return tickets, intents


def _discover(tickets: list[TicketText]) -> tuple[FoundTopics, Vectors, dict[str, float]]:
    settings = load_settings({})
    taxonomy = load_taxonomy(None)
    chain = build_eval_chain(settings, taxonomy, "learned")
    times: dict[str, float] = {}
    started = time.perf_counter()
    encoded_before = texts_encoded()
    judged, texts, vectors = judge(
        tickets, chain, workers=1, max_input_tokens=2000, confidence_threshold=0.5
    )
    # One encoding per ticket: the learned engine judges with the vectors the topics get.
    times["judge and encode"] = time.perf_counter() - started
    times["texts encoded"] = float(texts_encoded() - encoded_before)
    started = time.perf_counter()
    found = discover(
        TopicInput([t.id for t in tickets], texts, [t.subject for t in tickets], judged, vectors),
        fallback=taxonomy.fallback_category,
    )
    times["cluster"] = time.perf_counter() - started
    return found, vectors, times


def quality() -> None:
    print(
        f"{'rows':<10} {'intents':>7} {'topics':>7} {'in a topic':>10} {'AMI':>6} "
        f"{'k-means(k)':>11}"
    )
    for source in ("bitext", "banking77"):
        tickets, intents = _rows(source)
        found, vectors, _ = _discover(tickets)
        assigned = [-1 if a is None else a for a in found.assignments]
        ami = adjusted_mutual_info_score(intents, assigned)
        k = len(set(intents))
        units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        kmeans = KMeans(k, n_init=10, random_state=0).fit_predict(units)
        base = adjusted_mutual_info_score(intents, kmeans)
        covered = sum(a >= 0 for a in assigned) / len(assigned)
        topics = len(found.topics)
        print(f"{source:<10} {k:>7} {topics:>7} {covered:>10.1%} {ami:>6.3f} {base:>11.3f}")


def scale(n: int) -> None:
    rng = random.Random(0)
    pool = [t for source in ("bitext", "banking77") for t in _rows(source)[0]]
    tickets = []
    for i in range(n):
        base = rng.choice(pool)
        words = base.description.split()
        kept = [w for w in words if rng.random() > 0.15] or words
        tickets.append(TicketText(str(i), "", " ".join(kept)))
    started = time.perf_counter()
    found, _, times = _discover(tickets)
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    encoded = int(times.pop("texts encoded"))
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in times.items())
    print(
        f"{n} tickets: {total:.0f} s ({stages}), {encoded} texts encoded, "
        f"{len(found.topics)} topics, peak RSS {peak:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=50_000, help="tickets in the cost run (0: skip)"
    )
    args = parser.parse_args()
    quality()
    if args.scale:
        scale(args.scale)


if __name__ == "__main__":
    main()
