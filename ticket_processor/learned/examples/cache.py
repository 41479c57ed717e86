"""The examples engine's model in the state directory, fitted once per taxonomy.

The file is the learned model's zip (``model_file``: arrays and JSON, never a pickle), named by
the taxonomy's hash: a run reads it in milliseconds, an edited taxonomy gets a fresh fit (a few
seconds) and the stale file is removed.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ...errors import ConfigError
from ...models import Engine, Triage
from ...triage.chain import LocalEngine
from ...triage.prepare import PreparedTicket
from ...triage.taxonomy import Taxonomy
from ..embed import Encoder
from ..engine import LearnedEngine
from ..model import LearnedModel
from ..model_file import load_model, save_model
from .fit import drop_marks, fit_examples
from .key import PREFIX, cache_path

__all__ = ["PREFIX", "ExamplesLink", "cache_path", "examples_engine", "examples_model"]


def examples_model(
    taxonomy: Taxonomy, state_dir: Path, *, encoder: Encoder | None = None
) -> tuple[LearnedModel, bool]:
    """The model of the taxonomy's examples, and whether it was fitted now (else cached)."""
    path = cache_path(state_dir, taxonomy)
    model, _ = load_model(path, taxonomy.names)
    if model is not None:
        return model, False
    model = fit_examples(taxonomy, encoder=encoder).model
    save_model(model, path)
    for stale in state_dir.glob(f"{PREFIX}*.zip"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return model, True


def examples_engine(
    taxonomy: Taxonomy, state_dir: Path, *, encoder: Encoder | None = None
) -> LearnedEngine:
    """The engine over ``examples_model``; ValueError when the taxonomy lists no examples."""
    model, _ = examples_model(taxonomy, state_dir, encoder=encoder)
    return LearnedEngine(model, taxonomy, encoder=encoder, encoded_form=drop_marks)


class ExamplesLink:
    """The examples engine as a link of the chain, named ``learned`` (it is the learned
    engine's model, fitted on the examples). Fitted (or read from the cache) on the first
    ticket that reaches it, so a run whose LLM answers never pays for it; a fit that fails makes
    the link fail, and the rules take the ticket."""

    def __init__(self, taxonomy: Taxonomy, state_dir: Path) -> None:
        self._taxonomy = taxonomy
        self._state_dir = state_dir
        self._lock = threading.Lock()
        self._engine: LocalEngine | None = None
        self._failure: str | None = None

    @property
    def name(self) -> Engine:
        return "learned"

    def ready(self) -> str | None:
        """Fit or read the model now; None, or why it cannot be had."""
        with self._lock:
            if self._engine is None and self._failure is None:
                try:
                    engine = examples_engine(self._taxonomy, self._state_dir)
                except (ValueError, OSError, ImportError) as exc:
                    self._failure = f"the taxonomy's examples could not be learned: {exc}"
                else:
                    self._engine = LocalEngine("learned", engine)
            return self._failure

    def analyse(self, ticket: PreparedTicket) -> Triage:
        failure = self.ready()
        if self._engine is None:
            raise ConfigError(failure or "the examples engine is not usable")
        return self._engine.analyse(ticket)
