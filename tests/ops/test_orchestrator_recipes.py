"""The orchestrator recipes of docs/how-to/schedule.md, as written there (the code blocks are read
from the file, so the docs cannot drift from what is tested): every one compiles; the Dagster
and Temporal ones, whose libraries run a task without a server, triage the Zendesk sandbox's
tickets with the rules engine (``pytest -m orchestrators``, after ``pip install
'.[orchestrators]'``; .ci/run does both)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.tags import marker_tag

OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "schedule.md"
_BLOCK = re.compile(r"<!-- recipe: (\w+) -->\n```python\n(.*?)```", re.DOTALL)
MARKER = marker_tag("ai_")


def recipes() -> dict[str, str]:
    return dict(_BLOCK.findall(OPERATIONS.read_text(encoding="utf-8")))


def _load(name: str) -> dict[str, Any]:
    """Run the recipe's code block as a module would be run; its names."""
    namespace: dict[str, Any] = {"__name__": f"recipe_{name}"}
    # dont_inherit: the recipe runs as written, not under this module's __future__ imports.
    code = compile(recipes()[name], f"docs/how-to/schedule.md:{name}", "exec", dont_inherit=True)
    exec(code, namespace)  # noqa: S102
    return namespace


def _backlog(desk: Desk) -> list[int]:
    return desk.create(
        [
            NewTicket("Refund for order", "My order arrived broken, please refund it."),
            NewTicket("Cannot log in", "I cannot log in to my account, password reset fails."),
            NewTicket("Parcel late", "My parcel is two weeks late, where is it?"),
        ]
    )


def _triaged_once(desk: Desk, ids: list[int]) -> bool:
    return all(
        MARKER in snap.tags and len(snap.notes) == 1 for snap in (desk.snapshot(t) for t in ids)
    )


def test_every_recipe_is_in_the_docs_and_compiles() -> None:
    found = recipes()
    assert sorted(found) == ["airflow", "dagster", "prefect", "temporal"]
    for name, code in found.items():
        compile(code, f"docs/how-to/schedule.md:{name}", "exec")
        assert "run_once(load_settings(os.environ)" in code, name


@pytest.mark.orchestrators
@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_the_dagster_recipe_triages_the_tickets(desk: Desk) -> None:
    import dagster as dg

    ids = _backlog(desk)
    recipe = _load("dagster")
    result = dg.materialize(
        [recipe["ticketbot_acme"]],
        run_config={"ops": {"ticketbot_acme": {"config": {"engine": "rules"}}}},
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node("ticketbot_acme")
    assert materialization.metadata["triaged"].value == len(ids)
    assert _triaged_once(desk, ids)
    # The definitions load as Dagster loads a code location: the schedule names the asset.
    schedule = recipe["defs"].resolve_schedule_def("ticketbot_acme_every_10_min")
    assert schedule.cron_schedule == "*/10 * * * *"


@pytest.mark.orchestrators
@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_the_temporal_recipe_triages_the_tickets(desk: Desk) -> None:
    from temporalio.testing import ActivityEnvironment

    ids = _backlog(desk)
    recipe = _load("temporal")
    outcome = ActivityEnvironment().run(recipe["ticketbot_run"], "rules")
    assert outcome == {"status": "ok", "triaged": len(ids), "failed": 0}
    assert _triaged_once(desk, ids)
