"""The calibrated learned model three end-to-end files use, trained once per test session.

Training it (bitext + banking77, three folds) costs seconds on an idle machine and a minute on
a busy one; the files that use it (``test_cascade_e2e``, ``test_calibrated_e2e``,
``test_confidence``) run on different xdist workers, so the model is trained once into the
session's shared temporary directory, under a lock, and the others read the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.model_file import save_model
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.triage.taxonomy import load_taxonomy

DATA = Path(__file__).resolve().parents[1] / "data"


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """One process at a time (POSIX ``flock``); elsewhere no lock: at worst a second training,
    never a half-written file, since the model is renamed into place."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared_dir(factory: pytest.TempPathFactory) -> Path:
    """The directory every worker of this session sees (xdist: the parent of each worker's)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def calibrated_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learned model with a calibration per field, as ``ticketbot learn`` writes it."""
    shared = _shared_dir(tmp_path_factory)
    path = shared / "calibrated-model.zip"
    with _exclusive(shared / "calibrated-model.lock"):
        if not path.exists():
            rows = load_labelled(DATA / "bitext.jsonl") + load_labelled(DATA / "banking77.jsonl")
            options = TrainOptions(folds=3, embedding_weight=0.0)
            result = train(rows, load_taxonomy(), options=options)
            partial = path.with_suffix(f".{os.getpid()}.partial")
            save_model(result.model, partial)
            os.replace(partial, path)
    return path
