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
            "helpdesks/test_write_budget.py",
            "incidents/test_howto_sandbox_outage.py",
            "incidents/test_incident_as_a_user_saw_it.py",
            "incidents/test_incident_busy_hour.py",
            "incidents/test_incident_everyday.py",
            "incidents/test_incident_history.py",
            "incidents/test_incident_llm_first_day.py",
            "incidents/test_incident_one_fault.py",
            "incidents/test_incident_pass.py",
            "incidents/test_incident_suggested_shown.py",
            "incidents/test_incidents_e2e.py",
            "incidents/test_judged_no_incident_once.py",
            "incidents/test_repeat_follow_up.py",
            "incidents/test_seeded_many_faults.py",
            "macros/test_macros_on_desks.py",
            "privacy/test_encrypted_summary_log.py",
            "run/test_fields_e2e.py",
            "run/test_fields_midrun.py",
            "run/test_fields_stale.py",
            "run/test_metrics_export.py",
            "serve/test_refused_deliveries.py",
            "solved/test_solved_refresh.py",
            "summary/test_summary_dashboard.py",
            "summary/test_summary_e2e.py",
            "summary/test_summary_served.py",
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
