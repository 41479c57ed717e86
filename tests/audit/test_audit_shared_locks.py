"""Reading the state directory keeps the audit store whole while another process writes it.

``serve`` holds the store open for its life and answers ``/readyz`` with the health checks,
which read every file of the state directory; a run reads it again (its sweep) after its
store opened. Reading a database's header with a plain ``open`` and ``close`` dropped every
POSIX lock the process held on the file, SQLite's own included: a dry run that ended next
believed itself the store's last user, folded the write-ahead log into the file and deleted
it; the holder went on writing to the deleted log and, when it closed, folded its stale pages
over the newer ones ("database disk image is malformed", the dry runs' rows gone).

Real processes and real SQLite: this process holds the writer as ``serve`` does, children are
the dry runs that start, write and end beside it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ticket_processor
from ticket_processor.audit.upgrade import open_writer
from ticket_processor.audit.writer import FILE_NAME, SqliteWriter
from ticket_processor.state.ledger import RunLedger

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX advisory locks")

ACCOUNT = "freshdesk:127.0.0.1"
PACKAGE_ROOT = str(Path(ticket_processor.__file__).resolve().parents[1])

# A dry run's writes: its run row and as many decisions as a run of 60 tickets stores, enough
# to grow the file by many pages, as the reviewer's three dry runs did.
DRY_RUN = """
import sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from ticket_processor.audit.upgrade import open_writer
run_id, now = sys.argv[3], datetime.now(UTC)
with open_writer(Path(sys.argv[2]), account=sys.argv[4]) as writer:
    writer.upsert_runs([{"run_id": run_id, "mode": "dry-run", "started_at": now}])
    writer.upsert_decisions([
        {"run_id": run_id, "ticket_id": t, "message_id": 0, "at": now, "kind": "triage",
         "status": "dry-run", "subject": "Export to CSV produces an empty file " * 20}
        for t in range(1, 61)
    ])
"""


def dry_run(state: Path, run_id: str) -> None:
    subprocess.run(
        [sys.executable, "-c", DRY_RUN, PACKAGE_ROOT, str(state), run_id, ACCOUNT],
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def served_row(writer: SqliteWriter, run_id: str) -> None:
    writer.upsert_runs([{"run_id": run_id, "mode": "serve", "started_at": datetime.now(UTC)}])


def health_reads(state: Path) -> None:
    """What ``health`` and serve's readiness checks read of the state directory."""
    RunLedger(state, read_only=True).damaged_files()


def sweep_reads(state: Path) -> None:
    """What a (not dry) run's sweep reads after its store opened."""
    RunLedger(state).sweep()


@pytest.mark.parametrize("reads", [health_reads, sweep_reads], ids=["health", "sweep"])
def test_dry_runs_beside_a_held_store_leave_it_whole(
    tmp_path: Path, reads: Callable[[Path], None]
) -> None:
    state = tmp_path / "state"
    dry_run(state, "first-dry-run")  # the store exists before the server starts, as it did
    served = open_writer(state, account=ACCOUNT)
    served_row(served, "serve")
    reads(state)
    dry_run(state, "dry-run-1")
    served_row(served, "serve")  # the server's rows between the dry runs
    dry_run(state, "dry-run-2")
    dry_run(state, "dry-run-3")
    served_row(served, "serve")  # its run_finished at SIGTERM
    served.close()

    conn = sqlite3.connect(state / FILE_NAME)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        runs = {row[0] for row in conn.execute("SELECT run_id FROM runs")}
        decisions = conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
    finally:
        conn.close()
    assert runs == {"first-dry-run", "serve", "dry-run-1", "dry-run-2", "dry-run-3"}
    assert decisions == 4 * 60


def test_a_file_that_is_not_a_database_is_still_found(tmp_path: Path) -> None:
    """The check by SQLite still finds what the header check found (``state.sweep``)."""
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all " * 300)
    found = RunLedger(tmp_path, read_only=True).damaged_files()
    assert found == [(FILE_NAME, "not an SQLite database")]
