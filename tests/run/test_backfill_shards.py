"""``backfill --shard I/N``: N backfills share the tickets out by id, each with its own cursor,
so together they triage every ticket once; ``--shards N`` takes I from Kubernetes's
``JOB_COMPLETION_INDEX``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.cli import command

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.tags import marker_tag
from ticket_processor.writeback.scope import in_shard, parse_shard

pytestmark = pytest.mark.desk(unlimited=True, configure=True)
backfill = command("backfill")
MARKER = marker_tag("ai_")


def _backlog(desk: Desk, count: int) -> list[int]:
    return desk.create(
        [
            NewTicket(f"Refund {n}", f"Order {n} arrived broken, refund it please.")
            for n in range(count)
        ]
    )


def test_parse_shard_and_ownership() -> None:
    assert parse_shard("2/4") == (2, 4)
    for bad in ("4/4", "-1/4", "1/0", "x/4", "3", "1/4/2"):
        with pytest.raises(Exception, match="--shard"):
            parse_shard(bad)
    owners = [[i for i in range(4) if in_shard(t, (i, 4))] for t in range(100)]
    assert all(len(o) == 1 for o in owners)
    assert in_shard(7, None)


@pytest.mark.slow
def test_four_shards_triage_every_ticket_once(desk: Desk) -> None:
    ids = _backlog(desk, 40)
    for index in range(4):
        result = backfill("--since", "1d", "--no-batch", "--shard", f"{index}/4")
        assert result.exit_code == 0, result.output
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert MARKER in snap.tags
        assert len(snap.notes) == 1, f"ticket {ticket_id}: {len(snap.notes)} notes"
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    assert sorted(p.name for p in (state / "shards").iterdir()) == [f"{i}-of-4" for i in range(4)]
    # A shard run again finds nothing of its own left.
    again = backfill("--since", "1d", "--no-batch", "--shard", "1/4")
    assert again.exit_code == 0, again.output
    assert all(len(desk.snapshot(t).notes) == 1 for t in ids)


def test_one_shard_takes_only_its_own(desk: Desk) -> None:
    ids = _backlog(desk, 12)
    assert backfill("--since", "1d", "--no-batch", "--shard", "0/3").exit_code == 0
    for ticket_id in ids:
        assert (MARKER in desk.snapshot(ticket_id).tags) == (ticket_id % 3 == 0)


@pytest.mark.slow
def test_shards_take_the_index_from_an_indexed_job(desk: Desk) -> None:
    ids = _backlog(desk, 8)
    result = backfill(
        "--since", "1d", "--no-batch", "--shards", "2", env={"JOB_COMPLETION_INDEX": "1"}
    )
    assert result.exit_code == 0, result.output
    assert all((MARKER in desk.snapshot(t).tags) == (t % 2 == 1) for t in ids)
    missing = backfill("--since", "1d", "--shards", "2")
    assert missing.exit_code == 2
    assert "JOB_COMPLETION_INDEX" in missing.output
    assert backfill("--shard", "5/4").exit_code == 2


@pytest.mark.slow
def test_four_shard_processes_at_once(desk: Desk) -> None:
    ids = _backlog(desk, 400)
    env = {k: v for k, v in os.environ.items()}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ticket_processor",
                "backfill",
                "--since",
                "1d",
                "--no-batch",
                "--shard",
                f"{i}/4",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(4)
    ]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err.decode()[-2000:]
    counts: dict[int, Any] = {t: len(desk.snapshot(t).notes) for t in ids}
    assert set(counts.values()) == {1}


def test_the_shards_decisions_go_to_the_one_audit_store(desk: Desk) -> None:
    # Before, each shard wrote its own shards/I-of-N/audit.sqlite3, which report, the dashboard
    # and revert do not read: a review's report counted 300 of 540 triaged tickets.
    ids = _backlog(desk, 6)
    for index in range(2):
        result = backfill("--since", "1d", "--no-batch", "--shard", f"{index}/2")
        assert result.exit_code == 0, result.output
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    assert not list((state / "shards").glob("*/audit.sqlite3*"))
    shown = command("report")("--since", "1d", "--json")
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["tickets_triaged"] == len(ids), report
