"""What a per-ticket feature declares beyond its step, known without a run or a step: the
fields it adds to ``serve``'s triage API answer (the API's description is written before any
step is built, and a step that has nothing to do this run still has its field), and the entries
it keeps in the help-centre index (``kb sync`` puts them back without building a run).

A feature's folder declares one ``StepExtras`` in its descriptor (``steps.feature.Feature``);
the features' registry lists them beside the steps, so neither the server nor ``kb sync`` names
a feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kb.sources import IndexSource


@dataclass(frozen=True, eq=False)  # one feature's declaration: equal to itself alone
class StepExtras:
    """``api_fields``: the triage API answer's fields, name -> (pydantic type, default) as
    ``pydantic.create_model`` takes them, whose values are the step's ``api_fields``;
    ``index_source``: what puts the feature's entries in the help-centre index (``kb.sources``),
    or None; ``index_entries``: what ``kb sync`` calls them when it counts the index (one, many)
    and which ids are theirs."""

    api_fields: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    index_source: IndexSource | None = None
    index_entries: tuple[str, str, Callable[[int], bool]] | None = None
