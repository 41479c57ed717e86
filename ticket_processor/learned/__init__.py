"""The learned triage engine: a model trained on labelled tickets, used when there is no LLM.

What the core calls::

    path = model_path(settings.learned_model, settings.state_dir)
    model, reason = load_model(path, taxonomy.names)   # reason: log it once, go on without
    engine = LearnedEngine(model, taxonomy)            # engine.analyse(subject, body) -> Analysis

Modules: ``features`` (n-gram TF-IDF), ``embed`` (sentence encoder), ``model`` (arrays in
memory), ``model_file`` (the zip on disk, never a pickle), ``labelled_file`` (the labelled
tickets it trains on, which ``eval`` scores on too), ``scoring`` (accuracy and macro-F1, for
cross-validation, the promotion gate and ``eval``), ``train`` (scikit-learn fitting and
cross-validation), ``engine`` (inference), ``labels`` and ``feedback`` (labels from helpdesk
tags, agents' corrections), ``harvest`` (a resumable training file from the helpdesk's solved
tickets, for ``learn --from-helpdesk``).
"""

from __future__ import annotations

import importlib
import json
import zipfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..triage.taxonomy import Taxonomy

if TYPE_CHECKING:
    from .engine import LearnedEngine
    from .model import LearnedModel
    from .model_file import load_model, read_model, save_model

# The names that need numpy are imported when first used (PEP 562): a run imports this package
# for the agents' corrections (``labels``, ``feedback``), and numpy is ~12 MB of resident
# memory that a run whose LLM answers never needs.
_LAZY = {
    "LearnedEngine": "engine",
    "LearnedModel": "model",
    "load_model": "model_file",
    "read_model": "model_file",
    "save_model": "model_file",
}


if not TYPE_CHECKING:  # mypy sees the imports above, so a misspelt name is still an error

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{module}", __name__), name)


MODEL_FILE_NAME = "learned-model.zip"
DEFAULT_MODEL_RESOURCE = "default-model.zip"


def bundled_model_path() -> Path:
    """The default model shipped in the package (trained on shippable data only)."""
    return Path(str(resources.files(__package__).joinpath(DEFAULT_MODEL_RESOURCE)))


def bundled_model_taxonomy() -> tuple[str, ...]:
    """The categories the bundled model was trained for, read from its header alone (no numpy,
    no arrays): what tells a run, before its first ticket, that the bundled model fits its
    taxonomy, so the model itself can wait for a ticket that needs it."""
    with zipfile.ZipFile(bundled_model_path()) as packaged:
        header = json.loads(packaged.read("header.json"))
    return tuple(header.get("taxonomy") or ())


def model_path(configured: Path | None, state_dir: Path) -> Path:
    """Which model file a run uses: ``TICKETBOT_LEARNED_MODEL`` if set, else the state
    directory's ``learned-model.zip`` if ``ticketbot learn`` wrote one, else the bundled one."""
    if configured is not None:
        return configured
    learned = state_dir / MODEL_FILE_NAME
    return learned if learned.exists() else bundled_model_path()


__all__ = [
    "MODEL_FILE_NAME",
    "LearnedEngine",
    "LearnedModel",
    "bundled_model_path",
    "bundled_model_taxonomy",
    "load_model",
    "model_path",
    "open_engine",
    "read_model",
    "save_model",
]


def open_engine(configured: Path | None, state_dir: Path, taxonomy: Taxonomy) -> LearnedEngine:
    """The engine over the model ``model_path`` picks; ``ModelFileError`` when it is unusable
    (for commands that asked for the learned engine, where a missing model is an error)."""
    # numpy: imported when an engine is opened, not with this package (see ``_LAZY``)
    from .engine import LearnedEngine
    from .model_file import read_model

    return LearnedEngine(read_model(model_path(configured, state_dir), taxonomy.names), taxonomy)
