"""What a first day holds back is said wherever a user looks, on each helpdesk's sandbox: tickets
below the confidence threshold (``ai_low_confidence``: no priority, no route) are counted in
the backfill's and the run's line and in ``report``, their note says what was held back, and
the audit store files them as suggestions waiting (the dashboard's ``?decision=suggested`` and
its overview's "suggestions waiting"); the backfill's line says the cautious judgements as the
run's does, through the same words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import command, invoke
from support.e2e import triaged_events

from ticket_processor.audit.store import AuditStore
from ticket_processor.dashboard import pending, queries
from ticket_processor.dashboard.filters import ListQuery
from ticket_processor.macros.step import APPLY_AFTER
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, configure=True)
macros_cli = command("macros")
# The macros' caution on a first day (``macros.step.suggest_only``): a step each ticket meets,
# in a backfill's slices as in a run.
SAID = f'cautious="macros: suggest-only until {APPLY_AFTER} solved tickets answered with a macro'

ROUTES = """
[[route]]
name = "accounts"
when = { sentiment = ["positive", "neutral", "negative"] }
group = "Technical"
"""


def test_tickets_below_the_threshold_are_counted_noted_and_waiting(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    monkeypatch.setenv("TICKETBOT_ROUTES", str(routes))
    # The keyword rules and the bundled learned model (no LLM here) are under 0.95 on these.
    monkeypatch.setenv("TICKETBOT_CONFIDENCE_THRESHOLD", "0.95")
    assert invoke("seed", "--count", "1").exit_code == 0
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    first = desk.create(
        [NewTicket(f"Login {n}", "I cannot log in, the password is refused.") for n in range(3)]
    )
    backfill = invoke("backfill", "--no-batch", "--since", "7d")
    assert backfill.exit_code == 0, backfill.output
    backfilled = triaged_events(tmp_path / "logs")
    assert set(first) <= set(backfilled)
    assert f"low_confidence={len(backfilled)}" in backfill.stdout
    assert SAID in backfill.stdout

    [later] = desk.create([NewTicket("Refund", "Please refund my last invoice, charged twice.")])
    run = invoke("run", "--engine", "rules")
    assert run.exit_code == 0, run.output
    assert "low_confidence=1" in run.stdout
    assert SAID in run.stdout

    triaged = triaged_events(tmp_path / "logs")
    everyone = sorted(triaged)
    assert later in everyone
    for ticket in everyone:
        assert triaged[ticket]["low_confidence"] is True
        assert triaged[ticket]["group"] is None  # the route did not act
        (note,) = desk.snapshot(ticket).notes
        threshold = "below 0.95, so the priority is left as it is and no route acts"
        assert "Held back: confidence" in note, note
        assert threshold in note, note

    report = invoke("report", "--json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["low_confidence"] == len(everyone)
    text = invoke("report")
    assert "held back (low confidence)" in text.stdout

    # The dashboard's list and overview read the store with these queries.
    with AuditStore.open(None, state_dir=tmp_path / "state") as store, store.engine.connect() as c:
        (account,) = store.accounts()
        suggested = queries.ticket_list(c, ListQuery(decision="suggested"), account=account)
        assert sorted(r.ticket_id for r in suggested.rows) == everyone
        applied = queries.ticket_list(c, ListQuery(decision="applied"), account=account)
        assert applied.rows == []
        assert pending.waiting_count(c, account=account) == len(everyone)
