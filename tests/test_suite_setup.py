"""The README's test line stays quick on a busy two-core box: it runs in parallel, and CI says
how long each of its steps took."""

from __future__ import annotations

import configparser
import shlex
import tomllib
from pathlib import Path

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
