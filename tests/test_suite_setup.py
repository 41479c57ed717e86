"""The README's test line stays quick on a busy two-core box: it runs in parallel, and CI says
how long each of its steps took."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_default_invocation_runs_in_parallel_with_xdist_in_the_test_extra() -> None:
    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]
    addopts = shlex.split(pytest_options["ini_options"]["addopts"])
    assert addopts[addopts.index("-n") + 1] == "auto"
    assert addopts[addopts.index("--dist") + 1] == "loadfile"
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    test_extra = setup["options.extras_require"]["test"].splitlines()
    extra = [line.split(">")[0].strip() for line in test_extra]
    assert "pytest-xdist" in extra


def test_ci_times_every_step_it_runs() -> None:
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    commands = ("pytest", "lint-imports", "ruff", "mypy", "pip install", "python -m pip")
    untimed = [line for line in script.splitlines() if line.strip().startswith(commands)]
    assert untimed == []
    assert script.count('step "') >= 7


# A throwaway project for the suite's own options: pyproject's addopts and session bound, the
# watchdog plugin from tests/support, and a test file written per case; ``args`` go after the
# ini's options (``-n 0`` runs it serially).
def _pytest_in(
    tmp_path: Path, tests: str, *, session_timeout: float | None = None, args: tuple[str, ...] = ()
) -> Any:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["pytest"]
    ini = options["ini_options"]
    addopts = [word for word in shlex.split(ini["addopts"]) if word != "loadfile"]
    addopts = [w for w in addopts if w not in ("--dist", "-m") and not w.startswith("not ")]
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\n"
        f"addopts = {shlex.join(addopts)} -n 2 -p support.session_watchdog\n"
        f"session_timeout = {session_timeout or ini['session_timeout']}\n",
        "utf-8",
    )
    (tmp_path / "test_case.py").write_text(textwrap.dedent(tests), "utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args, "test_case.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_worker_that_dies_fails_the_run_at_once_instead_of_being_replaced(
    tmp_path: Path,
) -> None:
    ended = _pytest_in(
        tmp_path,
        """
        import os

        def test_dies():
            os._exit(1)

        def test_a(): pass
        def test_b(): pass
        def test_c(): pass
        """,
    )
    assert ended.returncode != 0, ended.stdout
    assert "worker restarting disabled" in ended.stdout + ended.stderr, ended.stdout
    # xdist names the test the worker was running: the run's one clue to what ended it
    said = ended.stdout + ended.stderr
    assert "crashed while running 'test_case.py::test_dies'" in said, said


def test_a_hung_parallel_session_ends_by_itself_and_says_why(tmp_path: Path) -> None:
    ended = _pytest_in(
        tmp_path,
        """
        import time
        import pytest

        @pytest.mark.timeout(0)
        def test_hangs():
            time.sleep(600)

        def test_a(): pass
        """,
        session_timeout=3,
    )
    assert ended.returncode == 2, (ended.stdout, ended.stderr)
    assert "session-timeout: the test session passed its 3 s bound" in ended.stderr


# A session with a test that hangs past the session's bound (no per-test timeout), one that
# passes and one that fails first: the hang is last in the file, so whichever worker runs it
# has reported the others before it.
_HANGS_AFTER_A_FAILURE = """
    import time
    import pytest

    def test_fails():
        assert False

    def test_passes():
        pass

    @pytest.mark.timeout(0)
    def test_hangs():
        time.sleep(600)
    """


@pytest.mark.slow
def test_a_hung_parallel_session_names_the_test_still_running_and_the_failures(
    tmp_path: Path,
) -> None:
    # The bound leaves the throwaway's two workers several times their start-up on a loaded
    # two-core box (4 s seen) to run the first tests.
    ended = _pytest_in(tmp_path, _HANGS_AFTER_A_FAILURE, session_timeout=15)
    assert ended.returncode == 2, (ended.stdout, ended.stderr)
    said = ended.stderr
    assert "session-timeout: the test session passed its 15 s bound" in said, said
    assert "still running: test_case.py::test_hangs (on gw" in said, said
    assert "failed: test_case.py::test_fails\n" in said, said
    assert "test_passes" not in said, said
    assert (
        "rerun them alone: pytest -q -n 0 test_case.py::test_hangs test_case.py::test_fails\n"
    ) in said, said


@pytest.mark.slow
def test_a_hung_serial_session_ends_at_its_bound_naming_the_test_and_the_failures(
    tmp_path: Path,
) -> None:
    # pytest-timeout checks its session bound only after each test: this test never ends.
    ended = _pytest_in(
        tmp_path, _HANGS_AFTER_A_FAILURE, session_timeout=8, args=("-n", "0", "-m", "not slow")
    )
    assert ended.returncode == 2, (ended.stdout, ended.stderr)
    said = ended.stderr
    assert "session-timeout: the test session passed its 8 s bound; ending it" in said, said
    assert "still running: test_case.py::test_hangs (for " in said, said
    assert "failed: test_case.py::test_fails\n" in said, said
    assert "test_passes" not in said, said
    # the session's own -m comes along: pyproject's would deselect a slow test
    rerun = "pytest -q -n 0 -m 'not slow' test_case.py::test_hangs test_case.py::test_fails"
    assert f"rerun them alone: {rerun}\n" in said, said
