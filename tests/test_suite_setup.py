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
# watchdog plugin from tests/support, and a test file written per case.
def _pytest_in(tmp_path: Path, tests: str, *, session_timeout: float | None = None) -> Any:
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
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_case.py"],
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
