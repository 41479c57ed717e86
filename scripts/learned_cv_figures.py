"""Repeated k-fold figures of the learned engine, per field, trained exactly as ``ticketbot learn``
trains it, on random folds and on folds that keep near-duplicate tickets together.

    python scripts/learned_cv_figures.py [--data ../shared/data/tickets-dev.jsonl] [--repeats 3]
        [--folds 5] [--no-embeddings] [--near 0.9] [--cache /tmp/urgency-cache/embeddings.npz]

Per repeat (seeded), the dev set is split into k folds stratified by source and labels; each fold
is predicted by a model ``train`` fitted on the other folds (one featuriser over every training
row, as the final model of ``learn``) through ``LearnedEngine.predict``, as a run uses it. Printed
per field: macro-F1 pooled over the repeat's folds, mean ± standard deviation over the repeats,
and per source.

The "grouped" folds keep tickets whose sentence embeddings have a cosine of ``--near`` or more
(and everything chained to them) in one fold. The tobi rows come with paraphrased siblings (80
pairs at 0.9, always with the same labels): on random folds a model scores on the sibling of a row
it was trained on, so those figures reward memorising; the grouped figures measure what carries
over to tickets not seen in any form. A gain should show on both.

Sentence embeddings are computed once and kept in ``--cache`` (an ``.npz`` keyed by text hash)
so repeats cost only the n-grams and the fits.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ticket_processor.learned.embed import Encoder
from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.labelled_file import LabelledTicket, allowed_values, load_labelled
from ticket_processor.learned.scoring import POOLED, report_field
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("category", "urgency", "sentiment")
MAX_TOKENS = TrainOptions().max_input_tokens


class CachedEncoder(Encoder):
    """The real encoder, each text encoded once (in memory, and in ``path`` when given)."""

    def __init__(self, path: Path | None) -> None:
        super().__init__()
        self.path = path
        self.vectors: dict[str, npt.NDArray[np.float32]] = {}
        if path is not None and path.is_file():
            with np.load(path) as stored:
                self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return super().encode([])
        keys = [self.key(t) for t in texts]
        wanted = {k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}
        if wanted:
            missing = sorted(wanted)
            encoded = super().encode([wanted[k] for k in missing])
            self.vectors.update(zip(missing, encoded, strict=True))
            self.save()
        return np.vstack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        with self.path.open("wb") as out:
            np.savez(out, keys=np.array(keys), vectors=np.vstack([self.vectors[k] for k in keys]))


def near_groups(vectors: npt.NDArray[np.float32], near: float) -> npt.NDArray[np.int32]:
    """Connected components of the rows whose embeddings have a cosine of ``near`` or more."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    similar = unit @ unit.T >= near
    _, groups = connected_components(sparse.csr_matrix(similar), directed=False)
    return np.asarray(groups, np.int32)


def splits(
    rows: list[LabelledTicket], groups: npt.NDArray[np.int32] | None, folds: int, seed: int
) -> Iterator[tuple[list[int], list[int]]]:
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    strata = [
        f"{r.source}:{r.labels.get('urgency', '')}:{r.labels.get('sentiment', '')}" for r in rows
    ]
    index = np.zeros(len(rows))
    if groups is None:
        parts = StratifiedKFold(folds, shuffle=True, random_state=seed).split(index, strata)
    else:
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        parts = splitter.split(index, strata, groups)
    for train_part, test_part in parts:
        yield [int(i) for i in train_part], [int(i) for i in test_part]


def one_repeat(
    rows: list[LabelledTicket],
    prepared: list[tuple[str, str]],
    groups: npt.NDArray[np.int32] | None,
    args: argparse.Namespace,
    seed: int,
    encoder: CachedEncoder,
) -> dict[str, dict[str, float]]:
    """Per field, macro-F1 per source and pooled over this repeat's folds."""
    taxonomy = load_taxonomy(None)
    options = TrainOptions(folds=0, seed=seed, embedding_weight=0.0 if args.no_embeddings else 1.0)
    triples: dict[str, list[tuple[str, str | None, str]]] = {name: [] for name in FIELDS}
    for train_part, test_part in splits(rows, groups, args.folds, seed):
        model = train(
            [rows[i] for i in train_part], taxonomy, options=options, encoder=encoder
        ).model
        engine = LearnedEngine(model, taxonomy, encoder=encoder)
        for i in test_part:
            predicted = engine.predict(*prepared[i])
            for name in FIELDS:
                if name in rows[i].labels and name in predicted:
                    triples[name].append(
                        (rows[i].source, rows[i].labels[name], predicted[name].label)
                    )
    allowed = allowed_values(taxonomy)
    return {
        name: {
            s: v.macro_f1
            for s, v in report_field(name, triples[name], allowed[name]).scores.items()
        }
        for name in FIELDS
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-embeddings", action="store_true")
    parser.add_argument(
        "--near", type=float, default=0.9, help="cosine that groups near-duplicates"
    )
    parser.add_argument("--cache", type=Path, default=None, help=".npz file of sentence embeddings")
    parser.add_argument("--only", choices=("random", "grouped"), default=None)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"{args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    rows = load_labelled(args.data)
    prepared = []
    for row in rows:
        ticket = prepare_ticket(row.subject, row.description, max_tokens=MAX_TOKENS)
        prepared.append((ticket.subject, ticket.body))
    encoder = CachedEncoder(args.cache)
    vectors = encoder.encode([f"{subject}\n{body}" for subject, body in prepared])
    groups = near_groups(vectors, args.near)
    count = len(set(groups.tolist()))
    print(
        f"{args.data}: {len(rows)} rows; {count} groups at cosine >= {args.near}"
        f" ({len(rows) - count} rows fewer); {args.repeats} x {args.folds}-fold, embeddings "
        f"{'off' if args.no_embeddings else 'on'}"
    )
    schemes = [("random", None), ("grouped", groups)]
    for scheme, scheme_groups in schemes:
        if args.only and scheme != args.only:
            continue
        started = time.perf_counter()
        runs = [
            one_repeat(rows, prepared, scheme_groups, args, seed, encoder)
            for seed in range(args.repeats)
        ]
        print(f"{scheme} folds ({time.perf_counter() - started:.0f} s):")
        for name in FIELDS:
            sources = sorted({s for run in runs for s in run[name]} - {POOLED})

            def figure(
                source: str, name: str = name, runs: list[dict[str, dict[str, float]]] = runs
            ) -> str:
                values = [run[name][source] for run in runs if source in run[name]]
                spread = statistics.pstdev(values) if len(values) > 1 else 0.0
                return f"{statistics.mean(values):.3f} ± {spread:.3f}"

            per_source = ", ".join(f"{s} {figure(s)}" for s in sources)
            print(f"  {name:9} macro-F1 {figure(POOLED)}  ({per_source})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
