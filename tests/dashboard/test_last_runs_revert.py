"""The dashboard's "Last runs" lists a ``ticketbot revert --run`` beside the run it undid, as
mode ``revert``, on each sandbox. Before, the audit store kept a revert's rows per ticket only,
and the overview, which lists the store's runs, never showed one."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from support.cli import invoke
from support.dashboard import TOKEN, bearer, start_dashboard

from ticket_processor.audit.store import AuditStore
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)


def _account(state: Path) -> str:
    with AuditStore.open(None, state_dir=state, account="") as probe:
        found = probe.engine.connect().exec_driver_sql("SELECT DISTINCT account FROM decisions")
        [account] = [row[0] for row in found]
    return str(account)


def test_the_last_runs_list_a_revert(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(
        [
            NewTicket("Refund please", "I want a refund for order 4411, money back please."),
            NewTicket("App crash", "The app crashes with an error when I save."),
        ]
    )
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    [run_id] = set(re.findall(r"ticketbot run (\S+):", ran.output))
    undone = invoke("revert", "--run", run_id)
    assert undone.exit_code == 0, undone.output
    with AuditStore.open(
        None, state_dir=tmp_path / "state", account=_account(tmp_path / "state")
    ) as store:
        [revert] = store.ticket_history(ids[0]).reverts
    assert revert.reverted_run_id == run_id

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        page = httpx.get(url + "/", headers=bearer(), timeout=30).text
    last_runs = page[page.index("<h2>Last runs</h2>") :]
    rows = {
        found.group(1): found.group(0)
        for found in re.finditer(
            r"<tr><td[^>]*>[^<]*</td><td><a [^>]*>([^<]+)</a>.*?</tr>", last_runs
        )
    }
    assert run_id in rows, last_runs[:3000]
    assert revert.run_id in rows, last_runs[:3000]
    assert "<td>revert</td>" in rows[revert.run_id]
    assert "status-ok" in rows[revert.run_id]
