"""Which files of the shared suite run on which helpdesk, while a new kind joins it.

The shared end-to-end tests run once for each kind the registry lists (the ``desk`` fixture,
and the tests that parametrise over ``KINDS``). A kind added to the registry joins them file by
file: a file listed here for a kind has its tests for that kind deselected (pytest's
``deselected`` count says how many), because the file still reaches a sandbox's own API in
Zendesk's or Freshdesk's shapes (a help-centre article made through one sandbox's store, a
delivery signed one helpdesk's way), not because the feature is left out. The kind's own tests
(``tests/helpdesks/<kind>/``) hold the run's end-to-end checks on it meanwhile. A file leaves
the list when its tests pass on the kind; ``test_kinds.py`` holds that no listed file is gone
and that the list only names registered kinds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.helpdesks.registry import KINDS

TESTS = Path(__file__).resolve().parents[1]

NOT_YET: dict[str, frozenset[str]] = {
    "servicenow": frozenset(
        {
            "run/test_fields_midrun.py",
        }
    ),
}


def _kind_of(item: pytest.Item) -> str | None:
    """The kind a test item runs on, from its parameters (``desk_kind``, ``helpdesk``, ...)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None
    for value in callspec.params.values():
        if isinstance(value, str):
            for kind in KINDS:
                if value == kind or f'"{kind}"' in value:
                    return kind
    return None


def not_yet(item: pytest.Item) -> bool:
    """Whether ``item`` runs on a kind its file does not run on yet."""
    kind = _kind_of(item)
    if kind is None:
        return False
    return Path(str(item.path)).relative_to(TESTS).as_posix() in NOT_YET.get(kind, frozenset())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    waiting = [item for item in items if not_yet(item)]
    if waiting:
        config.hook.pytest_deselected(items=waiting)
        items[:] = [item for item in items if not not_yet(item)]
