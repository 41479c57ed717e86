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

``DOES_NOT_APPLY`` is different: a file whose premise the kind does not share (what it tests is
a refusal the kind's helpdesk never makes), each with the reason in one sentence. Its tests on
that kind are deselected too, never silently: the reason is printed in pytest's terminal
summary whenever they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ticket_processor.helpdesks.registry import KINDS

TESTS = Path(__file__).resolve().parents[1]

NOT_YET: dict[str, frozenset[str]] = {}  # every kind runs every file it applies to


DOES_NOT_APPLY: dict[str, dict[str, str]] = {
    "servicenow": {
        "run/test_fields_midrun.py": (
            "a ServiceNow choice column stores any value, an option an admin removed included, "
            "so there is no refused write mid-run for ticketbot to survive and name"
        ),
    },
}

_NOT_APPLIED = pytest.StashKey[dict[tuple[str, str], int]]()


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


def _file_of(item: pytest.Item) -> str:
    return Path(str(item.path)).relative_to(TESTS).as_posix()


def not_yet(item: pytest.Item) -> bool:
    """Whether ``item`` runs on a kind its file does not run on yet."""
    kind = _kind_of(item)
    if kind is None:
        return False
    return _file_of(item) in NOT_YET.get(kind, frozenset())


def does_not_apply(item: pytest.Item) -> tuple[str, str] | None:
    """(kind, file) when ``item`` runs on a kind its file does not apply to."""
    kind = _kind_of(item)
    if kind is None or _file_of(item) not in DOES_NOT_APPLY.get(kind, {}):
        return None
    return kind, _file_of(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    waiting = [item for item in items if not_yet(item)]
    if waiting:
        config.hook.pytest_deselected(items=waiting)
        items[:] = [item for item in items if not not_yet(item)]
    counted: dict[tuple[str, str], int] = {}
    for item in items:
        found = does_not_apply(item)
        if found is not None:
            counted[found] = counted.get(found, 0) + 1
    if counted:
        config.stash[_NOT_APPLIED] = counted
        config.hook.pytest_deselected(items=[i for i in items if does_not_apply(i)])
        items[:] = [item for item in items if does_not_apply(item) is None]


def _in_session(config: pytest.Config, file: str) -> bool:
    """Whether the session's paths hold ``file`` (the count is the workers' under xdist, so
    the controller names each file its paths hold)."""
    target = TESTS / file
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if target == path or path in target.parents:
            return True
    return False


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Each file deselected on a kind it does not apply to, with the reason."""
    counted = config.stash.get(_NOT_APPLIED, {})
    named = [
        (kind, file, reason)
        for kind, files in DOES_NOT_APPLY.items()
        if kind in KINDS
        for file, reason in files.items()
        if (kind, file) in counted or (not counted and _in_session(config, file))
    ]
    if not named:
        return
    terminalreporter.section("does not apply")
    for kind, file, reason in sorted(named):
        count = f" ({counted[kind, file]} deselected)" if (kind, file) in counted else ""
        terminalreporter.write_line(f"{file} on {kind}{count}: {reason}")
