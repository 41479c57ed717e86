"""Fit the spam gate's head (``ticket_processor/spam/spam_head.json``).

    python scripts/train_spam_head.py          # writes ticket_processor/spam/spam_head.json
    python scripts/train_spam_head.py --check  # cross-validated figures only, writes nothing

Training rows, all redistributable (``tests/data/README.md``):

- ``tests/data/spam_examples.jsonl``: the project's own writing, in seven languages: phishing
  (mailbox full, password expiry, payment or parcel bait), spam (SEO and link-building offers,
  agencies, prizes, marketing blasts), auto-senders (bounces and delivery-status notices,
  out-of-office replies, no-reply notifications and newsletters), and customers' tickets that
  talk about such mail without being it (``none``: "I received a phishing mail in your name");
- the out-of-office replies of ``tests/data/replies.jsonl`` as ``auto_sender``, and its
  customers' own replies as ``none`` (the project's own writing);
- customers' tickets as ``none``: ``bitext.jsonl`` (CDLA-Sharing 1.0), ``banking77.jsonl``
  (CC BY 4.0), ``fault_examples.jsonl``, ``examples_tickets.jsonl``, ``kb_tickets.jsonl``.

Held out, never read here: ``answers_tickets.jsonl`` and ``spam_tickets.jsonl`` (the sandbox
tests' tickets), ``replies_second.jsonl`` and ``bitext_translated.jsonl``
(``scripts/spam_figures.py`` measures on them and on a public spam corpus).

The head is scikit-learn's multinomial logistic regression on the encoder's unit vectors of the
prepared text (what the run encodes), stored as plain numbers. ``apply_at`` and ``suggest_at``
come from five-fold out-of-fold probabilities: the lowest probability of "no customer wrote
it" at which the out-of-fold verdicts are at least ``APPLY_PRECISION`` (``SUGGEST_PRECISION``)
precise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ticket_processor.learned.embed import Encoder
from ticket_processor.spam.head import CLASSES, FILE_NAME, SpamHead
from ticket_processor.triage.prepare import prepare_ticket

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests/data"
C_CHOICES = (1.0, 4.0, 16.0)  # the regularisation: the best by five-fold macro-F1 over the classes
APPLY_PRECISION = 0.99
SUGGEST_PRECISION = 0.95
CUSTOMER_FILES = (
    "bitext.jsonl",
    "banking77.jsonl",
    "examples_tickets.jsonl",
    "kb_tickets.jsonl",
)
TRAINED_ON = (
    "tests/data/spam_examples.jsonl, replies.jsonl, fault_examples.jsonl, examples_tickets.jsonl, "
    "kb_tickets.jsonl (project's own writing); bitext.jsonl (CDLA-Sharing 1.0); "
    "banking77.jsonl (CC BY 4.0)"
)


def prepared_text(subject: str, body: str) -> str:
    """The text the run's gate encodes: the prepared (redacted, trimmed) subject and body."""
    prepared = prepare_ticket(subject, body)
    return f"{prepared.subject}\n{prepared.body}"


def _rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def training_rows() -> tuple[list[str], list[int], list[str]]:
    """Texts, class indices (``CLASSES``) and each row's source (for leave-one-source-out)."""
    texts: list[str] = []
    labels: list[int] = []
    sources: list[str] = []

    def add(subject: object, body: object, label: str, source: str) -> None:
        texts.append(prepared_text(str(subject or ""), str(body or "")))
        labels.append(CLASSES.index(label))
        sources.append(source)

    for row in _rows("spam_examples.jsonl"):
        add(row["subject"], row["text"], str(row["label"]), f"spam_examples-{row['lang']}")
    for row in _rows("replies.jsonl"):
        kind = row["labels"]["reply_kind"]  # type: ignore[index]
        add("", row["text"], "auto_sender" if kind == "auto_reply" else "none", "replies")
    for row in _rows("fault_examples.jsonl"):
        add("", row["text"], "none", "fault_examples")
    for name in CUSTOMER_FILES:
        for row in _rows(name):
            add(row.get("subject"), row.get("description"), "none", name.removesuffix(".jsonl"))
    return texts, labels, sources


def threshold(not_customer: np.ndarray, truth: np.ndarray, precision: float) -> float:
    """The lowest probability at which the verdicts at or above it are ``precision`` precise."""
    order = np.argsort(-not_customer)
    hits = np.cumsum(truth[order])
    shares = hits / np.arange(1, len(order) + 1)
    good = np.nonzero(shares >= precision)[0]
    if len(good) == 0:
        return 1.0
    return float(round(not_customer[order][good[-1]], 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="cross-validate only")
    args = parser.parse_args()
    texts, labels, sources = training_rows()
    vectors = np.asarray(Encoder().encode(texts), np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    y = np.asarray(labels)
    counts = ", ".join(f"{int((y == i).sum())} {name}" for i, name in enumerate(CLASSES))
    print(f"{len(y)} rows: {counts}")
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    best: dict[float, np.ndarray] = {}
    scores: dict[float, float] = {}
    for c in C_CHOICES:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        proba = cross_val_predict(model, vectors, y, cv=folds, method="predict_proba")
        best[c] = proba
        scores[c] = float(f1_score(y, proba.argmax(axis=1), average="macro"))
        flagged = proba[:, 0] < 0.5
        truth = y != 0
        tp = int((flagged & truth).sum())
        print(
            f"C={c:g}: five-fold out-of-fold: precision {tp / max(flagged.sum(), 1):.3f}, "
            f"recall {tp / max(truth.sum(), 1):.3f} (not-a-customer at 0.5), "
            f"macro-F1 {scores[c]:.3f}"
        )
    C = max(C_CHOICES, key=lambda c: scores[c])
    print(f"C={C:g} chosen")
    proba = best[C]
    not_customer = 1.0 - proba[:, 0]
    truth = (y != 0).astype(float)
    apply_at = max(threshold(not_customer, truth, APPLY_PRECISION), 0.5)
    suggest_at = min(max(threshold(not_customer, truth, SUGGEST_PRECISION), 0.2), apply_at)
    applied = not_customer >= apply_at
    print(
        f"apply_at {apply_at:.4f}: out-of-fold precision "
        f"{truth[applied].mean() if applied.any() else 0:.3f}, recall "
        f"{(applied & (truth == 1)).sum() / truth.sum():.3f}; suggest_at {suggest_at:.4f}"
    )
    by_source: dict[str, list[int]] = {}
    for source, flagged, is_spam in zip(sources, not_customer >= apply_at, truth == 1, strict=True):
        counts_of = by_source.setdefault(source, [0, 0, 0, 0])  # spam, caught, customers, flagged
        counts_of[0 if is_spam else 2] += 1
        counts_of[1 if is_spam else 3] += int(flagged)
    for source, (spam, caught, customers, flagged) in sorted(by_source.items()):
        parts = [
            f"{caught}/{spam} caught" if spam else "",
            f"{flagged}/{customers} customers flagged" if customers else "",
        ]
        print(f"  {source}: {', '.join(p for p in parts if p)} (out-of-fold)")
    if args.check:
        return
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(vectors, y)
    head = SpamHead(
        model.coef_.astype(np.float32),
        model.intercept_.astype(np.float32),
        apply_at,
        suggest_at,
        trained_on=TRAINED_ON,
    )
    path = ROOT / "ticket_processor/spam" / FILE_NAME
    path.write_text(head.to_json() + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
