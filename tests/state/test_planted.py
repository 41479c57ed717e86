"""What someone with write access plants in the state or log directory, through ``ticketbot run``.

A link, a directory or a FIFO where the run lock or today's log file belongs is set aside with
a warning and the run goes on (exit 0); a link's target is never written. A state or log
directory anyone may write to (no sticky bit), or another user's, is refused as a configuration
error (exit 2) whose message says how to fix it. A full disk or a read-only state directory is
one line, never a traceback (each in a child process: a file-size limit and another user cannot
be set up inside the test process without disturbing pytest's own files).
"""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.cli import command, invoke
from support.e2e import events, notes

from ticket_processor.common.atomic import distrust, prepare_directory
from ticket_processor.common.eventlog import log_file_name
from ticket_processor.errors import LockHeldError
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.state.lock import LOCK_FILE, RunLock

run = command("run", "--engine", "rules")


# ``sandbox``: one for the module's tests.
pytestmark = pytest.mark.sandbox(
    seed=5,
    plan="high_volume",
    incremental_limit_per_min=100_000,
    update_limit_per_min=100_000,
    scope="module",
)


def environment(sandbox: RunningSandbox, root: Path) -> dict[str, str]:
    return {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_WORKERS": "1",
    }


@pytest.fixture
def root(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env from the project directory
    for name, value in environment(sandbox, tmp_path).items():
        monkeypatch.setenv(name, value)
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "logs").mkdir(mode=0o700)
    return tmp_path


def new_ticket(sandbox: RunningSandbox) -> int:
    ticket = sandbox.store.create(
        {"subject": "Refund please", "comment": {"body": "I returned the blender, no refund."}}
    )
    return int(ticket["id"])


def plant(path: Path, how: str, elsewhere: Path) -> None:
    if how == "symlink":
        elsewhere.write_bytes(b"a system file\n")
        path.symlink_to(elsewhere)
    elif how == "directory":
        path.mkdir()
    else:
        os.mkfifo(path)


@pytest.mark.parametrize("how", ["symlink", "directory", "fifo"])
def test_what_stands_where_the_lock_belongs_is_set_aside_and_the_run_goes_on(
    sandbox: RunningSandbox, root: Path, how: str
) -> None:
    elsewhere = root / "passwd"
    plant(root / "state" / LOCK_FILE, how, elsewhere)
    ticket = new_ticket(sandbox)

    result = run()

    assert result.exit_code == 0, result.output
    assert LOCK_FILE in result.output
    assert len(notes(sandbox, ticket)) == 1
    [aside] = list((root / "state").glob(f"{LOCK_FILE}.bad-*"))
    assert aside.is_symlink() == (how == "symlink")
    if how == "symlink":
        assert elsewhere.read_bytes() == b"a system file\n"  # not truncated to one byte
    assert (root / "state" / LOCK_FILE).is_file()
    warnings = [e for e in events(root / "logs") if e["event"] == "state_file_set_aside"]
    assert [w["file"] for w in warnings] == [LOCK_FILE]
    word = {"symlink": "symbolic link", "directory": "directory", "fifo": "FIFO"}[how]
    assert word in warnings[0]["reason"]

    again = run()
    assert again.exit_code == 0, again.output
    assert len(list((root / "state").glob("*.bad-*"))) == 1


def test_the_lock_is_set_aside_only_under_the_directory_lock_and_never_a_live_one(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / LOCK_FILE).mkdir()
    # Another run setting the same thing aside this very moment holds the directory's lock:
    # this one leaves everything where it is and exits as "locked" (0), never moving a lock.
    held = os.open(state, os.O_RDONLY)
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(LockHeldError, match="repairing"), RunLock(state):
            pass
    finally:
        os.close(held)
    assert (state / LOCK_FILE).is_dir()
    assert list(state.glob("*.bad-*")) == []

    # Once set aside, a second run finds a regular lock file that the first holds: it waits for
    # nothing and moves nothing.
    with RunLock(state) as first:
        assert first.set_aside is not None
        with pytest.raises(LockHeldError), RunLock(state):
            pass
        assert len(list(state.glob("*.bad-*"))) == 1
        assert (state / LOCK_FILE).is_file()


@pytest.mark.parametrize("how", ["symlink", "directory", "fifo"])
def test_what_stands_where_todays_log_belongs_is_set_aside_and_never_written_through(
    sandbox: RunningSandbox, root: Path, how: str
) -> None:
    today = root / "logs" / log_file_name(datetime.now(UTC).date())
    elsewhere = root / "crontab"
    plant(today, how, elsewhere)
    ticket = new_ticket(sandbox)

    result = run()

    assert result.exit_code == 0, result.output
    assert len(notes(sandbox, ticket)) == 1
    if how == "symlink":
        assert elsewhere.read_bytes() == b"a system file\n"  # no JSON appended to it
    assert today.is_file()
    assert not today.is_symlink()
    [aside] = list((root / "logs").glob(f"{today.name}.bad-*"))
    assert aside.is_symlink() == (how == "symlink")
    said = [e for e in events(root / "logs") if e["event"] == "log_file_set_aside"]
    assert [(e["file"], e["moved_to"]) for e in said] == [(today.name, aside.name)]


@pytest.mark.parametrize(("which", "variable"), [("state", "STATE_DIR"), ("logs", "LOG_DIR")])
def test_a_directory_anyone_may_write_to_is_refused_with_the_fix(
    root: Path, which: str, variable: str
) -> None:
    directory = root / which
    directory.chmod(0o777)

    result = run()

    assert result.exit_code == 2, result.output
    assert f"TICKETBOT_{variable}" in result.output
    assert f"chmod o-w {directory}" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_world_writable_directory_with_the_sticky_bit_and_a_group_writable_one_are_fine(
    tmp_path: Path,
) -> None:
    sticky, grouped = tmp_path / "sticky", tmp_path / "grouped"
    sticky.mkdir()
    sticky.chmod(0o1777)  # like /tmp: nobody can rename another user's files
    grouped.mkdir()
    grouped.chmod(0o2770)  # a Kubernetes volume with fsGroup
    prepare_directory(sticky, "TICKETBOT_STATE_DIR")
    prepare_directory(grouped, "TICKETBOT_STATE_DIR")


def test_a_directory_another_user_owns_is_refused_with_the_fix(tmp_path: Path) -> None:
    """The owner rule on the directory's real stat, as if it belonged to uid 12345 (giving it
    away for real takes root); root's own directories stay trusted."""
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    found = os.stat(theirs)
    fields = list(found)
    fields[stat.ST_UID] = 12345
    given_away = os.stat_result(fields)
    me = found.st_uid
    problem = distrust(theirs, given_away, "TICKETBOT_STATE_DIR", me=me)
    assert problem is not None
    assert "belongs to another user" in problem
    assert f"chown {me} {theirs}" in problem
    fields[stat.ST_UID] = 0
    assert distrust(theirs, os.stat_result(fields), "TICKETBOT_STATE_DIR", me=me) is None
    assert distrust(theirs, found, "TICKETBOT_STATE_DIR", me=me) is None


# -- in a child process: a file-size limit, a user the mode bits bind ------------------------

_CHILD = """
import resource, sys
limit = int(sys.argv[1])
if limit > 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
from ticket_processor.cli import main
sys.argv = ["ticketbot", "run", "--engine", "rules"]
main()
"""


def child_run(env: dict[str, str], cwd: Path, *, file_limit: int = 0) -> str:
    """``ticketbot run`` in a child process; as root, without the capabilities that let root
    write through mode bits (``setpriv``), so a read-only directory is read-only to it."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
    done = subprocess.run(
        [*prefix, sys.executable, "-c", _CHILD, str(file_limit)],
        env={**os.environ, **env, "COLUMNS": "400"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


def test_a_full_disk_is_one_line_naming_the_file_and_the_fix(
    sandbox: RunningSandbox, root: Path
) -> None:
    # RLIMIT_FSIZE makes every write past 300 bytes fail with EFBIG (Python ignores SIGXFSZ), the
    # way ENOSPC fails it, on the real write paths: the first log lines and state files overflow
    # at once. A small tmpfs would need root to mount.
    new_ticket(sandbox)
    output = child_run(environment(sandbox, root), root, file_limit=300)

    assert output.startswith("exit 1\n"), output
    assert "Traceback" not in output, output
    [line] = [x for x in output.splitlines()[1:] if x.strip()]
    assert line.startswith("error: cannot write "), line
    assert "free space on the disk holding" in line, line


def test_a_read_only_state_directory_is_one_line_naming_it_and_the_fix(
    sandbox: RunningSandbox, root: Path
) -> None:
    state = root / "state"
    state.chmod(0o500)
    try:
        output = child_run(environment(sandbox, root), root)
    finally:
        state.chmod(0o700)

    assert output.startswith("exit 2\n"), output
    assert "Traceback" not in output, output
    [line] = [x for x in output.splitlines()[1:] if x.strip()]
    assert "TICKETBOT_STATE_DIR" in line, line
    assert str(state) in line, line
    assert f"chmod u+w {state}" in line, line


def test_a_planted_model_nested_deep_is_refused_and_the_run_uses_the_bundled_one(
    sandbox: RunningSandbox, root: Path
) -> None:
    # No LLM configured: the learned model leads. A header nested 100,000 deep once crashed
    # every such run with a RecursionError.
    with zipfile.ZipFile(root / "state" / "learned-model.zip", "w") as planted:
        planted.writestr("header.json", b"[" * 100_000 + b"]" * 100_000)
    ticket = new_ticket(sandbox)

    result = invoke("run")

    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "learned-model.zip" in said
    assert "nested too deeply" in said
    assert "using the bundled model instead" in said
    [triaged] = [
        e
        for e in events(root / "logs")
        if e["event"] == "ticket_triaged" and e["ticket_id"] == ticket
    ]
    assert triaged["engine"] == "learned"
    assert len(notes(sandbox, ticket)) == 1
