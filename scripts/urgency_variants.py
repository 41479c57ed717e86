"""Urgency decision variants tried to lift its macro-F1, side by side on the same folds.

    python scripts/urgency_variants.py [--data ../shared/data/tickets-dev.jsonl] [--repeats 3]
        [--cache /tmp/urgency-cache/embeddings.npz]

Only the rows with an urgency label (the tobi rows) are used, as ``learn`` does for the field.
Every variant is scored on the same repeated stratified 5-fold splits ("random") and on
splits that keep paraphrased siblings in one fold ("grouped", see ``learned_cv_figures.py``);
the featuriser is fitted on each training fold (as ``learn``'s cross-validation does), and any
hyper-parameter a variant chooses (biases, thresholds) is chosen by an inner 5-fold
cross-validation on the training fold only. Printed: pooled macro-F1 per repeat, mean ± sd.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from learned_cv_figures import MAX_TOKENS, CachedEncoder, near_groups
from scipy import sparse

from ticket_processor.learned.features import Bag, Featuriser, all_grams, ticket_text, word_grams
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.scoring import score_field
from ticket_processor.triage.prepare import prepare_ticket

ROOT = Path(__file__).resolve().parent.parent
ORDER = np.array(["low", "medium", "high"])


def lr(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=1000, tol=1e-3)


class Fold:
    """One split's features: n-grams (featuriser fitted on the training rows), embeddings,
    subject words, and the labels."""

    def __init__(self, data: dict[str, Any], train: list[int], test: list[int]) -> None:
        grams = data["grams"]
        featuriser = Featuriser.fit([grams[i] for i in train])
        self.words = len(featuriser.words.terms)
        self.x = [
            self._matrix(featuriser.row, featuriser.width, grams, part) for part in (train, test)
        ]
        self.e = [data["embeddings"][part] for part in (train, test)]
        subjects = data["subjects"]
        bag = Bag.fit([subjects[i] for i in train], min_df=2, max_terms=20_000)
        self.s = [self._matrix(bag.weigh, len(bag.terms), subjects, part) for part in (train, test)]
        self.y = [data["y"][part] for part in (train, test)]

    @staticmethod
    def _matrix(row: Callable[[Any], Any], width: int, items: list[Any], part: list[int]) -> Any:
        pairs = [row(items[i]) for i in part]
        starts = np.cumsum([0] + [len(c) for c, _ in pairs])
        return sparse.csr_matrix(
            (np.concatenate([v for _, v in pairs]), np.concatenate([c for c, _ in pairs]), starts),
            shape=(len(pairs), width),
            dtype=np.float32,
        )

    def joined(self, k: int, embedding: float = 0.0, subject: float = 0.0) -> Any:
        blocks = [self.x[k]]
        if embedding:
            blocks.append(sparse.csr_matrix(self.e[k] * np.float32(embedding)))
        if subject:
            blocks.append(self.s[k] * np.float32(subject))
        return sparse.hstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]


def inner_scores(x: Any, y: Any, make: Callable[[], Any], method: str) -> Any:
    """Out-of-fold ``method`` outputs of the training fold (5 inner folds)."""
    from sklearn.model_selection import StratifiedKFold

    out: Any = None
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        value = getattr(make().fit(x[tr], y[tr]), method)(x[te])
        if out is None:
            out = np.zeros((len(y), *value.shape[1:]))
        out[te] = value
    return out


def plain(c: float, embedding: float = 0.0, subject: float = 0.0) -> Callable[[Fold], Any]:
    def run(f: Fold) -> Any:
        model = lr(c).fit(f.joined(0, embedding, subject), f.y[0])
        return model.predict(f.joined(1, embedding, subject))

    return run


def biased(f: Fold) -> Any:
    """Per-class additive biases on the log-probabilities, chosen for macro-F1 on the training
    fold's out-of-fold predictions."""
    x, y = f.x[0], f.y[0]
    model = lr(10).fit(x, y)
    oof = inner_scores(x, y, lambda: lr(10), "predict_log_proba")
    grid = np.arange(-1.0, 1.01, 0.1)
    best, bias = -1.0, np.zeros(3)
    for b1 in grid:
        for b2 in grid:
            trial = np.array([0.0, b1, b2])
            value = score_field(list(y), list(model.classes_[(oof + trial).argmax(1)])).macro_f1
            if value > best + 1e-9:
                best, bias = value, trial
    return model.classes_[(model.predict_log_proba(f.x[1]) + bias).argmax(1)]


def ordinal(f: Fold) -> Any:
    """Two cumulative binary models (above low, above medium)."""
    rank = np.array([{"low": 0, "medium": 1, "high": 2}[v] for v in f.y[0]])
    above_low = lr(10).fit(f.x[0], rank > 0).predict_proba(f.x[1])[:, 1]
    above_medium = lr(10).fit(f.x[0], rank > 1).predict_proba(f.x[1])[:, 1]
    p = np.stack([1 - above_low, np.clip(above_low - above_medium, 0, None), above_medium], 1)
    return ORDER[p.argmax(1)]


def regression(f: Fold) -> Any:
    """Ridge on 0/1/2 with two cut points chosen for macro-F1 on the inner out-of-fold values."""
    from sklearn.linear_model import Ridge

    rank = np.array([{"low": 0, "medium": 1, "high": 2}[v] for v in f.y[0]], float)
    oof = inner_scores(f.x[0], f.y[0], lambda: _Ranked(Ridge(alpha=0.3)), "predict")
    best = (-1.0, 0.5, 1.5)
    for low in np.arange(0.2, 1.3, 0.05):
        for high in np.arange(low + 0.05, 1.9, 0.05):
            value = score_field(
                list(rank.astype(int)), list(np.digitize(oof, [low, high]))
            ).macro_f1
            if value > best[0]:
                best = (value, low, high)
    predicted = Ridge(alpha=0.3).fit(f.x[0], rank).predict(f.x[1])
    return ORDER[np.digitize(predicted, best[1:])]


class _Ranked:
    """A regressor fitted on the rank of urgency labels (for ``inner_scores``)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def fit(self, x: Any, y: Any) -> _Ranked:
        self.model.fit(x, np.array([{"low": 0, "medium": 1, "high": 2}[v] for v in y], float))
        return self

    def predict(self, x: Any) -> Any:
        return self.model.predict(x)


def nearest(threshold: float) -> Callable[[Fold], Any]:
    """n-grams, but a ticket whose word bag has a cosine of ``threshold`` or more with a training
    ticket takes that ticket's label (a paraphrase detector: memorising, not generalising)."""

    def run(f: Fold) -> Any:
        predicted = lr(10).fit(f.x[0], f.y[0]).predict(f.x[1])
        words = [f.x[k][:, : f.words] for k in (0, 1)]
        unit = [w.multiply(1 / np.sqrt(w.multiply(w).sum(1) + 1e-9)).tocsr() for w in words]
        cosine = (unit[1] @ unit[0].T).toarray()
        return np.where(cosine.max(1) >= threshold, f.y[0][cosine.argmax(1)], predicted)

    return run


VARIANTS: dict[str, Callable[[Fold], Any]] = {
    "n-grams + embedding, C 10 (learn today)": plain(10, embedding=1.0),
    "n-grams + embedding x0.5, C 10": plain(10, embedding=0.5),
    "n-grams + embedding x2, C 10": plain(10, embedding=2.0),
    "n-grams only, C 1": plain(1),
    "n-grams only, C 3": plain(3),
    "n-grams only, C 10": plain(10),
    "n-grams only, C 30": plain(30),
    "n-grams + subject words x0.5, C 10": plain(10, subject=0.5),
    "n-grams, per-class bias by inner CV": biased,
    "n-grams, ordinal (cumulative)": ordinal,
    "n-grams, ridge rank + cut points by inner CV": regression,
    "n-grams + nearest-neighbour override (cos >= 0.5)": nearest(0.5),
}


def main() -> int:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    warnings.simplefilter("ignore", ConvergenceWarning)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--near", type=float, default=0.9)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"{args.data}: not found (pass --data)", file=sys.stderr)
        return 2
    rows = [r for r in load_labelled(args.data) if "urgency" in r.labels]
    prepared = [prepare_ticket(r.subject, r.description, max_tokens=MAX_TOKENS) for r in rows]
    embeddings = CachedEncoder(args.cache).encode([f"{p.subject}\n{p.body}" for p in prepared])
    urgency = np.array([r.labels["urgency"] for r in rows])
    data: dict[str, Any] = {
        "grams": all_grams(ticket_text(p.subject, p.body) for p in prepared),
        "embeddings": embeddings,
        "subjects": [word_grams(p.subject.lower()) for p in prepared],
        "y": urgency,
    }
    groups = near_groups(embeddings, args.near)
    print(
        f"{len(rows)} urgency rows {dict(Counter(urgency.tolist()))}; "
        f"{len(set(groups.tolist()))} groups at cosine >= {args.near}"
    )
    index = np.zeros(len(rows))
    for scheme in ("random", "grouped"):
        folds: list[tuple[int, Fold]] = []
        for seed in range(args.repeats):
            if scheme == "random":
                parts = StratifiedKFold(5, shuffle=True, random_state=seed).split(index, data["y"])
            else:
                splitter = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
                parts = splitter.split(index, data["y"], groups)
            folds += [(seed, Fold(data, list(tr), list(te))) for tr, te in parts]
        print(f"{scheme} folds ({args.repeats} x 5):")
        for name, variant in VARIANTS.items():
            pooled: dict[int, tuple[list[str], list[str]]] = {}
            for seed, fold in folds:
                gold, predicted = pooled.setdefault(seed, ([], []))
                gold += list(fold.y[1])
                predicted += [str(v) for v in variant(fold)]
            values = [score_field(g, p).macro_f1 for g, p in pooled.values()]
            spread = statistics.pstdev(values) if len(values) > 1 else 0.0
            print(f"  {name:52} {statistics.mean(values):.3f} ± {spread:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
