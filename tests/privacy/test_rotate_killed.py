"""``privacy rotate`` and ``privacy encrypt`` cut short anywhere finish when run again, losing
nothing: a backlog's state files, its state databases and an audit store of some thousand rows
(several batches) are converted, and the conversion is stopped between two files, inside a
file's write, inside a table's batches; the state left is readable with the keys at hand, the
command run again finishes it, and then everything is under the new key alone and reads as it
did before (every file's text, every row).

The fast test stops the conversion at its n-th encryption in this process (a kill's effect: the
batch under way is rolled back, the files written so far stay written) and plants a write's
leftover temporary file; the slow one kills ``ticketbot privacy rotate`` with SIGKILL at a
series of moments. The conversion reads no helpdesk: one helpdesk's backlog stands for all.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import ROOT, invoke

from ticket_processor.common import sealed
from ticket_processor.common.sealed import MAGIC, PREFIX, Keyring, read_key_file
from ticket_processor.privacy.keys import SEALED_COLUMNS, convert
from ticket_processor.privacy.places import SEALED_FILES, SEALED_LINE_FILES
from ticket_processor.privacy.traces import Where
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(kinds=("zendesk",), configure=True)

AUDIT = "audit.sqlite3"
# The audit store's rows doubled: 128 rows in batches of 40 for the fast test, four thousand in
# the command's own batches for the kills (a conversion that lasts some seconds).
COPIES, KILLED_COPIES = 5, 9
BATCH = 40


class Killed(Exception):
    """Where the conversion stopped, as a kill -9 stops it (an ``Exception``: the database
    driver rolls the batch under way back, as the database does for a killed process)."""


def _opened_text(ring: Keyring, value: Any) -> Any:
    if isinstance(value, str) and value.startswith('{"sealed"'):
        value = json.loads(value)["sealed"]
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return value
    raw = base64.urlsafe_b64decode(value[len(PREFIX) :])
    return ring.open(MAGIC + raw, "audit store").decode()


def _kid_of(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return sealed.sealed_with(value)
    if isinstance(value, str) and value.startswith('{"sealed"'):
        value = json.loads(value)["sealed"]
    return sealed.text_sealed_with(value) if isinstance(value, str) else None


def _columns(state: Path) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    found = {AUDIT: ("decisions", "id", ("subject", "answer", "error", "event"))}
    return {**found, **SEALED_COLUMNS}


def _contents(state: Path, ring: Keyring) -> tuple[dict[str, Any], set[bytes | None]]:
    """Everything the conversion touches, opened (the files, the lines, the rows), and the ids
    of the keys it is held under (None: plain)."""
    opened: dict[str, Any] = {}
    keys: set[bytes | None] = set()
    for name in SEALED_FILES:
        path = state / name
        if path.is_file():
            raw = path.read_bytes()
            keys.add(sealed.sealed_with(raw))
            opened[name] = ring.open(raw, name)
    for name in SEALED_LINE_FILES:
        path = state / name
        if path.is_file():
            lines = path.read_bytes().splitlines()
            keys |= {sealed.text_sealed_with(line.decode()) for line in lines}
            opened[name] = [sealed.open_line(line, name) for line in lines]
    for name, (table, key, columns) in _columns(state).items():
        path = state / name
        if not path.is_file():
            continue
        with sqlite3.connect(path) as db:
            query = f"SELECT {key}, {', '.join(columns)} FROM {table} ORDER BY {key}"  # noqa: S608
            rows = db.execute(query).fetchall()
        keys |= {_kid_of(v) for row in rows for v in row[1:] if v is not None}
        opened[name] = [
            (
                row[0],
                *(
                    ring.open(v, name) if isinstance(v, bytes) else _opened_text(ring, v)
                    for v in row[1:]
                ),
            )
            for row in rows
        ]
    return opened, keys


def _backlog(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: Path | None, copies: int
) -> Path:
    if key is not None:
        monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(key))
    monkeypatch.setenv("TICKETBOT_AUDIT_RAW_SUBJECTS", "true")
    desk.create(
        [
            NewTicket(
                f"Zephyrglass {n} refund for ada{n}@example.org",
                f"Order {n} broke.",
                sender=f"ada{n}@example.org",
            )
            for n in range(4)
        ]
    )
    ran = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert ran.exit_code == 0, ran.output
    state = tmp_path / "state"
    with sqlite3.connect(state / AUDIT) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(decisions)") if r[1] != "id"]
        names = ", ".join(columns)
        for copy in range(copies):
            # Another run's rows each time (a decision is one per run and ticket).
            chosen = ", ".join(f"run_id || '-{copy}'" if c == "run_id" else c for c in columns)
            db.execute(f"INSERT INTO decisions ({names}) SELECT {chosen} FROM decisions")  # noqa: S608
    return state


def _keys(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old.key", tmp_path / "new.key"
    assert invoke("privacy", "keygen", str(old)).exit_code == 0
    assert invoke("privacy", "keygen", str(new)).exit_code == 0
    return old, new


def _cut_short(
    state: Path, logs: Path, ring: Keyring, at: int, monkeypatch: pytest.MonkeyPatch
) -> int:
    """The conversion run in this process, stopped at its ``at``-th encryption (0: never);
    how many it made."""
    sealing = Keyring.seal
    count = [0]

    def counted(self: Keyring, data: bytes) -> bytes:
        count[0] += 1
        if count[0] == at:
            raise Killed
        return sealing(self, data)

    monkeypatch.setattr(Keyring, "seal", counted)
    try:
        convert(Where(state, logs), ring)
    except Exception as exc:  # the database layer wraps it: a column's value failed to bind
        if not isinstance(exc, Killed) and not isinstance(getattr(exc, "orig", None), Killed):
            raise
    finally:
        monkeypatch.setattr(Keyring, "seal", sealing)
        sealed.install(None)
    return count[0]


@pytest.mark.parametrize("command", ["rotate", "encrypt"])
def test_a_conversion_stopped_anywhere_finishes_when_run_again(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    old, new = _keys(tmp_path)
    state = _backlog(desk, tmp_path, monkeypatch, old if command == "rotate" else None, COPIES)
    logs = tmp_path / "logs"
    old_key, new_key = read_key_file(old), read_key_file(new)
    both = Keyring(new_key, (old_key,))
    before, held = _contents(state, both)
    assert held == ({sealed.key_id(old_key)} if command == "rotate" else {None})
    assert len(before[AUDIT]) > 2 * BATCH  # several batches: a stop can fall inside the table
    pristine = tmp_path / "pristine"
    shutil.copytree(state, pristine)
    ring = both if command == "rotate" else Keyring(new_key)
    args = (
        ["privacy", "rotate", "--to", str(new)] if command == "rotate" else ["privacy", "encrypt"]
    )
    env = {"TICKETBOT_ENCRYPTION_KEY_FILE": str(old if command == "rotate" else new)}
    monkeypatch.setattr("ticket_processor.privacy.keys.BATCH", BATCH)
    total = _cut_short(state, logs, ring, 0, monkeypatch)  # a whole conversion, counted
    made = len(before[AUDIT]) * 2  # at least the subject and the event of every row
    assert total > made > 2 * BATCH
    # The first file, between two files, the last file, inside the audit store's batches.
    for at in (1, 3, total - made - 1, total - made // 2):
        shutil.rmtree(state)
        shutil.copytree(pristine, state)
        assert _cut_short(state, logs, ring, at, monkeypatch) == at
        # A write killed before its rename leaves its temporary file beside the old one.
        (state / ".replies.json.k1ll3d.tmp").write_bytes(b"TBSEAL1\nhalf a fi")
        middle, held = _contents(state, both)
        assert middle == before, at  # readable with the keys at hand, nothing lost
        assert len(held) == (1 if at == 1 else 2), at  # from the second on: some converted
        finished = invoke(*args, env=env)
        assert finished.exit_code == 0, (at, finished.output)
        after, held = _contents(state, Keyring(new_key))
        assert held <= {sealed.key_id(new_key)}, at
        assert after == before, at
    exported = invoke(
        "privacy", "export", "--ticket", "1", env={"TICKETBOT_ENCRYPTION_KEY_FILE": str(new)}
    )
    assert exported.exit_code == 0, exported.output


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("command", ["rotate", "encrypt"])
def test_a_conversion_killed_with_sigkill_finishes_when_run_again(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    old, new = _keys(tmp_path)
    state = _backlog(
        desk, tmp_path, monkeypatch, old if command == "rotate" else None, KILLED_COPIES
    )
    old_key, new_key = read_key_file(old), read_key_file(new)
    both = Keyring(new_key, (old_key,))
    before, _ = _contents(state, both)
    pristine = tmp_path / "pristine"
    shutil.copytree(state, pristine)
    args = (
        ["privacy", "rotate", "--to", str(new)] if command == "rotate" else ["privacy", "encrypt"]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env["TICKETBOT_ENCRYPTION_KEY_FILE"] = str(old if command == "rotate" else new)
    command_line = [sys.executable, "-m", "ticket_processor", *args]
    started = time.monotonic()
    whole = subprocess.run(command_line, env=env, cwd=tmp_path, capture_output=True, check=False)
    assert whole.returncode == 0, whole.stderr
    lasts = time.monotonic() - started  # the kills fall through that span
    killed_midway = 0
    for share in (0.0, 0.35, 0.5, 0.65, 0.8, 0.92):
        shutil.rmtree(state)
        shutil.copytree(pristine, state)
        process = subprocess.Popen(
            command_line,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        time.sleep(share * lasts)  # a real process killed at a real moment: no clock to inject
        process.send_signal(signal.SIGKILL)
        process.wait()
        middle, held = _contents(state, both)
        assert middle == before, share
        killed_midway += len(held) > 1  # some under the new key, some not yet
        key_file = {"TICKETBOT_ENCRYPTION_KEY_FILE": env["TICKETBOT_ENCRYPTION_KEY_FILE"]}
        finished = invoke(*args, env=key_file)
        assert finished.exit_code == 0, (share, finished.output)
        after, held = _contents(state, Keyring(new_key))
        assert held <= {sealed.key_id(new_key)}, share
        assert after == before, share
    assert killed_midway >= 1
