"""Every file of the state directory, damaged every way, costs at most one warning and
never a ticket.

For each ledger file × each damage (garbage bytes, valid JSON of the wrong shape, a JSON list,
an empty file, a directory in its place, and what someone with write access could plant: a FIFO
(which once hung the run with the lock held) and a link to a file elsewhere (which was read and
written through); and shapes that once crashed every later run): start
from the state a good run left, damage the file, create new tickets and run ``ticketbot run``.
It must exit 0, triage every new ticket exactly once (one note), keep the file aside as
``<name>.bad-<timestamp>``, log exactly one ``state_file_set_aside`` warning naming it, and the
run after it must exit 0 and set nothing more aside. ``ticketbot health`` meanwhile says the
state is degraded (exit 1) and names the file, and moves nothing.

Shared to stay fast: one sandbox for the module (every case creates its own tickets; earlier
cases' tickets carry the marker and are skipped), one good run whose state directory and logs
each case copies, and the rules engine (no LLM round trips).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from support.cli import command
from support.e2e import events, notes
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread
from ticket_processor.state.ledger import LEDGER_FILES

DAMAGES = ("garbage", "wrong-shape", "list", "empty", "directory", "fifo", "symlink")
# JSON of the wrong shape: ``{"x": 1}`` for every file but alerts.json, where it is a valid
# entry (condition "x", last sent at Unix time 1); there an entry of the wrong type.
WRONG_SHAPE: dict[str, object] = {"alerts.json": {"x": [1]}}
# Shapes that once crashed every later run: valid JSON with fields of the wrong type.
ONCE_FATAL: list[tuple[str, object]] = [
    ("jobs.json", {"jobs": {"abc": ["x"]}}),
    ("retry.json", {"tickets": ["a"]}),
    ("inflight.json", {"ticket_ids": "1,2"}),
    ("cursor.json", {"kind": "incremental", "value": 7, "updated_at": "now"}),
]
CASES = [
    pytest.param(name, damage, id=f"{name}-{damage}") for name in LEDGER_FILES for damage in DAMAGES
]
CASES += [
    pytest.param(name, shape, id=f"{name}-shape{i}") for i, (name, shape) in enumerate(ONCE_FATAL)
]


@dataclass
class Golden:
    """A sandbox and the state and logs one good run left behind."""

    sandbox: RunningSandbox
    state: Path
    logs: Path
    created: int = 0


def environment(sandbox: RunningSandbox, root: Path) -> dict[str, str]:
    return {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_WORKERS": "2",
    }


def new_tickets(golden: Golden, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        golden.created += 1
        ticket = golden.sandbox.store.create(
            {
                "subject": f"Refund for order {golden.created}",
                "comment": {"body": "I returned the blender and still have no refund."},
            }
        )
        ids.append(int(ticket["id"]))
    return ids


run = command("run", "--engine", "rules")


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    root = tmp_path_factory.mktemp("golden")
    # Many short runs in a few seconds: lift the account's per-minute limits, not the logic.
    config = SandboxConfig(
        seed=3, plan="high_volume", incremental_limit_per_min=100_000, update_limit_per_min=100_000
    )
    with serve_in_thread(config) as sandbox, pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)  # no .env from the project directory
        for name, value in environment(sandbox, root).items():
            mp.setenv(name, value)
        golden = Golden(sandbox, root / "state", root / "logs")
        first = new_tickets(golden, 3)
        result = run()
        assert result.exit_code == 0, result.output
        assert all(len(notes(sandbox, i)) == 1 for i in first)
        # Every ledger file present, so each case damages a file the run really reads.
        golden.state.joinpath("alerts.json").write_bytes(b"{}")
        golden.state.joinpath("cache.json").write_bytes(b'{"version": 1, "entries": {}}')
        golden.state.joinpath("breakers.json").write_bytes(b"{}")
        golden.state.joinpath("backfill.json").write_bytes(  # a backfill under way
            b'{"since": 1735689600, "started_at": "2026-01-01T00:00:00+00:00"}'
        )
        golden.state.joinpath("harvest.json").write_bytes(  # a harvest under way
            b'{"key": "k", "examples": 0, "seen": 0, "solved": 0, "unreviewed": 0, '
            b'"unlabelled": 0, "notes_read": 0, "pages": 0, "updated_at": "2026-01-01"}'
        )
        missing = [n for n in LEDGER_FILES if not golden.state.joinpath(n).is_file()]
        assert missing == [], f"the good run left no {missing}"
        yield golden


@pytest.fixture
def case(golden: Golden, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the good run's state and logs, with the environment pointing at them."""
    shutil.copytree(golden.state, tmp_path / "state")
    shutil.copytree(golden.logs, tmp_path / "logs")
    for name, value in environment(golden.sandbox, tmp_path).items():
        monkeypatch.setenv(name, value)
    return tmp_path


def damage(path: Path, how: object) -> None:
    good = path.read_bytes() if path.is_file() else b"{}"
    path.unlink(missing_ok=True)
    if how == "garbage":
        path.write_bytes(b"\x00\xff\xfe not json {{{")
    elif how == "wrong-shape":
        path.write_bytes(orjson.dumps(WRONG_SHAPE.get(path.name, {"x": 1})))
    elif how == "list":
        path.write_bytes(b'[1, "two", {"three": 3}]')
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "directory":
        path.mkdir()
        (path / "what-is-this").write_text("a person's notes")
    elif how == "fifo":
        os.mkfifo(path)
    elif how == "symlink":
        # A valid file elsewhere (a system file, say): it must be neither read nor written.
        target = path.parent.parent / f"elsewhere-{path.name}"
        target.write_bytes(good)
        path.symlink_to(target)
    else:
        path.write_bytes(orjson.dumps(how))


def set_aside_events(log_dir: Path) -> list[dict[str, Any]]:
    return [e for e in events(log_dir) if e["event"] == "state_file_set_aside"]


def triaged(log_dir: Path, ids: list[int]) -> list[int]:
    return sorted(
        e["ticket_id"]
        for e in events(log_dir)
        if e["event"] == "ticket_triaged" and e["ticket_id"] in ids
    )


@pytest.mark.parametrize(("name", "how"), CASES)
def test_a_damaged_state_file_costs_one_warning_and_no_ticket(
    golden: Golden, case: Path, name: str, how: object
) -> None:
    state, logs = case / "state", case / "logs"
    damage(state / name, how)
    before = sorted(p.name for p in state.iterdir())

    # health sees it first, and moves nothing.
    checked = CliRunner().invoke(app, ["health", "--json"], catch_exceptions=False)
    assert checked.exit_code == 1, checked.output
    verdict = orjson.loads(checked.output)
    [state_check] = [c for c in verdict["checks"] if c["name"] == "state"]
    assert state_check["status"] == "degraded"
    assert name in state_check["reason"]
    assert sorted(p.name for p in state.iterdir()) == before

    ids = new_tickets(golden, 2)
    result = run()
    assert result.exit_code == 0, result.output
    assert name in result.output  # said on stderr too
    assert triaged(logs, ids) == ids  # each new ticket once
    for ticket_id in ids:
        assert len(notes(golden.sandbox, ticket_id)) == 1, f"ticket {ticket_id}: not one note"
    aside = sorted(state.glob(f"{name}.bad-*"))
    assert len(aside) == 1, sorted(p.name for p in state.iterdir())
    if how == "directory":
        assert (aside[0] / "what-is-this").read_text() == "a person's notes"
    if how == "symlink":
        assert aside[0].is_symlink()  # the link moved, its target untouched
        elsewhere = case / f"elsewhere-{name}"
        assert os.readlink(aside[0]) == str(elsewhere)
        assert elsewhere.read_bytes() == (golden.state / name).read_bytes()
    [warning] = set_aside_events(logs)
    assert warning["level"] == "warning"
    assert warning["file"] == name
    assert warning["moved_to"] == aside[0].name
    finished = [e for e in events(logs) if e["event"] == "run_finished"][-1]
    assert finished["set_aside"] == [name]
    assert finished["status"] == "ok"

    again = run()
    assert again.exit_code == 0, again.output
    assert len(set_aside_events(logs)) == 1
    assert len(list(state.glob("*.bad-*"))) == 1
    assert all(len(notes(golden.sandbox, i)) == 1 for i in ids)
    healthy = CliRunner().invoke(app, ["health", "--json"], catch_exceptions=False)
    [state_check] = [c for c in orjson.loads(healthy.output)["checks"] if c["name"] == "state"]
    assert state_check["status"] == "healthy", state_check
