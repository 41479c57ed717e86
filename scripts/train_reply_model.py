"""Rebuild the reply classifier's model shipped in the package, reproducibly.

    python scripts/train_reply_model.py [--out ticket_processor/triage/reply_model.zip] [--check]

Fits the hashed n-gram logistic regression (``triage.reply_kind.train_reply_model``) on the
examples shipped beside it (``ticket_processor/triage/reply_examples.jsonl``) and writes it as
data (``triage.reply_model``: JSON and ``.npy`` arrays, no pickle). lbfgs starts from zeros and
the zip's member dates are fixed, so the same examples give the same bytes on one machine.
``--check`` writes nothing: it exits 1 when the shipped file is not what the examples give (say,
after an edit to the examples without a rebuild). It compares the model, not the bytes: the same
columns, classes and examples' hash, and weights equal to ``WEIGHT_TOLERANCE`` — BLAS kernels
differ between processors (an AMD EPYC refits the weights up to 8e-15 away from the file another
processor wrote), so the bytes are a machine's, the model is the examples'. Fitting takes about
600 MB and 12 s of CPU: this is why it happens here, once, and never in a run.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from ticket_processor.triage.reply_kind import reply_examples, train_reply_model
from ticket_processor.triage.reply_model import (
    EXAMPLES_FILE,
    model_bytes,
    read_reply_model,
    shipped_model_path,
)

# Relative and absolute: far below what changes a probability, far above BLAS's rounding.
WEIGHT_TOLERANCE = 1e-9


def build() -> bytes:
    examples = shipped_model_path().with_name(EXAMPLES_FILE).read_bytes()
    model = train_reply_model(reply_examples(), hashlib.sha256(examples).hexdigest())
    return model_bytes(model)


def same_model(shipped: bytes, built: bytes) -> bool:
    """The same model up to floating-point rounding (see the module's docstring)."""
    if shipped == built:
        return True
    ours, theirs = read_reply_model(shipped), read_reply_model(built)
    return (
        ours.classes == theirs.classes
        and ours.examples_sha256 == theirs.examples_sha256
        and np.array_equal(ours.columns, theirs.columns)
        and np.allclose(ours.coef, theirs.coef, rtol=WEIGHT_TOLERANCE, atol=WEIGHT_TOLERANCE)
        and np.allclose(
            ours.intercept, theirs.intercept, rtol=WEIGHT_TOLERANCE, atol=WEIGHT_TOLERANCE
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=shipped_model_path())
    parser.add_argument("--check", action="store_true", help="compare with the file, write none")
    options = parser.parse_args(argv)
    data = build()
    model = read_reply_model(data)
    summary = f"{len(model.columns)} columns, {len(data) / 1024:.0f} KiB"
    if options.check:
        same = options.out.is_file() and same_model(options.out.read_bytes(), data)
        print(
            f"{options.out}: {'up to date' if same else 'NOT what the examples give'} ({summary})"
        )
        return 0 if same else 1
    options.out.write_bytes(data)
    print(f"wrote {options.out} ({summary}, sha256 {hashlib.sha256(data).hexdigest()[:16]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
