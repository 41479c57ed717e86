"""Every file a full-featured run leaves in the state directory, damaged, costs a warning and
never the run: whichever feature wrote it, and whatever feature is added later.

One good run with the features on (incidents, the rising topics' counts, replies, the help
centre's index, the audit store) leaves its files; each case copies that directory, damages
ONE file (garbage bytes, an empty file, a directory in its place; the first two under
``-m slow``), creates new tickets and runs
``ticketbot run``. It must exit 0, triage every new ticket, say the file's name on stderr and
keep it aside as ``<name>.bad-<timestamp>``. The files are listed from the directory, not
from a list of ours, so a later feature's file is covered as soon as a run writes it. Where the
damage is a valid state of the file (a lock's content means nothing; an empty SQLite file is a
new database), the run must only go on.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli import command
from support.e2e import events

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread

run = command("run", "--engine", "rules")

# Damages that leave a file valid: what a reader does with them is what it does every day.
# A metrics textfile is written for Prometheus' node exporter and never read back.
VALID_AS_DAMAGED = {
    (".lock", "garbage"),
    (".lock", "empty"),
    (".prom", "garbage"),
    (".prom", "empty"),
    (".sqlite3", "empty"),
}


@dataclass
class Golden:
    sandbox: RunningSandbox
    root: Path
    files: list[str]
    created: int = 0

    def new_tickets(self, count: int) -> list[int]:
        ids = []
        for _ in range(count):
            self.created += 1
            ticket = self.sandbox.store.create(
                {
                    "subject": f"Checkout down {self.created}",
                    "comment": {"body": "The checkout page shows error 500 since this morning."},
                }
            )
            ids.append(int(ticket["id"]))
        return ids


def environment(sandbox: RunningSandbox, root: Path) -> dict[str, str]:
    return {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_WORKERS": "2",
        "TICKETBOT_INCIDENTS": "true",
        "TICKETBOT_METRICS_TEXTFILE": str(root / "state" / "metrics.prom"),
    }


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Golden]:
    root = tmp_path_factory.mktemp("golden")
    config = SandboxConfig(
        seed=3, plan="high_volume", incremental_limit_per_min=100_000, update_limit_per_min=100_000
    )
    with serve_in_thread(config) as sandbox, pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        golden = Golden(sandbox, root, [])
        golden.new_tickets(4)
        result = run(env=environment(sandbox, root))
        assert result.exit_code == 0, result.output
        state = root / "state"
        golden.files = sorted(str(p.relative_to(state)) for p in state.rglob("*") if p.is_file())
        # The features' files this run must leave, so the walk below covers them.
        for expected in ("topic_counts.json", "ticket-claims.lock", "incidents/book.json"):
            assert expected in golden.files, golden.files
        yield golden


def damage(path: Path, how: str) -> None:
    path.unlink()
    if how == "garbage":
        path.write_bytes(b"\x00\xff\xfe not what was written {{{")
    elif how == "empty":
        path.write_bytes(b"")
    else:
        path.mkdir()
        (path / "what-is-this").write_text("a person's notes")


# A case is a run per file (about 25 s for the three on a busy box): the directory, which
# stopped runs, stays in the default line; garbage and empty files run with -m slow.
@pytest.mark.parametrize(
    "how",
    [
        pytest.param("garbage", marks=pytest.mark.slow),
        pytest.param("empty", marks=pytest.mark.slow),
        "directory",
    ],
)
def test_every_state_file_damaged_costs_a_warning_and_the_run_goes_on(
    golden: Golden, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.chdir(tmp_path)
    stopped: list[str] = []
    for name in golden.files:
        case = tmp_path / name.replace("/", "_")
        shutil.copytree(golden.root / "state", case / "state")
        shutil.copytree(golden.root / "logs", case / "logs")
        path = case / "state" / name
        damage(path, how)
        ids = golden.new_tickets(2)

        result = run(env=environment(golden.sandbox, case))

        triaged = {e["ticket_id"] for e in events(case / "logs") if e["event"] == "ticket_triaged"}
        if result.exit_code != 0 or not set(ids) <= triaged:
            stopped.append(f"{name}: exit {result.exit_code}, {result.output[-300:]!r}")
            continue
        if (path.suffix, how) in VALID_AS_DAMAGED:
            continue
        aside = list(path.parent.glob(f"{path.name}.bad-*"))
        if path.name not in result.output or len(aside) != 1:
            stopped.append(f"{name}: no warning or not set aside: {result.output[-300:]!r}")
    assert stopped == [], "\n".join(stopped)
