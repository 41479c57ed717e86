"""The write journal keeps each triage write's decision while the write is in flight, on disk,
so the run after a kill -9 knows what the killed run was writing and in whose name."""

from __future__ import annotations

from pathlib import Path

import orjson

from ticket_processor.state.journal import INFLIGHT, PlannedWrite
from ticket_processor.state.ledger import RunLedger

DECISION = {"ticket_id": 7, "tags_added": ["ai_processed", "ai_billing"], "priority": "high"}


def test_a_decision_survives_the_process_until_its_write_ends(tmp_path: Path) -> None:
    RunLedger(tmp_path).begin([7, 8], {7: PlannedWrite("run-a", DECISION)})

    after_kill = RunLedger(tmp_path)  # the next process reads the file
    [(ticket_id, planned)] = after_kill.planned_writes().items()
    assert (ticket_id, planned.run_id, dict(planned.decision)) == (7, "run-a", DECISION)
    assert planned.began_at  # when the write began: where the next run reads the log from
    after_kill.end([7], ())
    assert RunLedger(tmp_path).planned_writes() == {}
    assert RunLedger(tmp_path).inflight() == {8}


def test_clearing_the_journal_forgets_the_decisions(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path)
    ledger.begin([7], {7: PlannedWrite("run-a", DECISION)})
    ledger.clear_journal()
    assert RunLedger(tmp_path).planned_writes() == {}


def test_a_journal_of_an_older_version_has_no_decisions(tmp_path: Path) -> None:
    (tmp_path / INFLIGHT).write_bytes(orjson.dumps({"ticket_ids": [3, 4]}))
    ledger = RunLedger(tmp_path)
    assert (ledger.inflight(), ledger.planned_writes()) == ({3, 4}, {})
    assert ledger.take_set_aside() == []
