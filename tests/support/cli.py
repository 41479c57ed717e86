"""The one way tests call the CLI: Typer's ``CliRunner`` on ``ticketbot``'s app, in the
environment ``tests/conftest.py`` isolates (plus ``env``, for this call only).

    result = invoke("run", "--dry-run")
    assert result.exit_code == 0, result.output

A module that calls one command throughout binds it once: ``run = command("run")``.
``catch_exceptions=False`` lets an unexpected exception fail the test with its traceback
instead of becoming exit code 1. ``as_process`` runs the command as its own process, where a
test needs what only a process has (its own signals, locks, exit, start-up).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from typer.testing import CliRunner, Result

from ticket_processor.cli import app


def invoke(
    *args: str, env: Mapping[str, str | None] | None = None, catch_exceptions: bool = True
) -> Result:
    """``ticketbot ARGS...``; ``env`` adds variables (``None`` as a value removes one)."""
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=catch_exceptions)


class BoundCommand(Protocol):
    """``invoke`` with some leading words already given."""

    def __call__(self, *args: str, env: Mapping[str, str | None] | None = None) -> Result: ...


def command(*words: str, catch_exceptions: bool = True) -> BoundCommand:
    """``invoke`` with the leading words bound, e.g. ``command("eval")`` or ``command("run")``."""

    def call(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
        return invoke(*words, *args, env=env, catch_exceptions=catch_exceptions)

    return call


ROOT = Path(__file__).resolve().parents[2]


def as_process(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """``python -m ticket_processor ARGS...`` as its own process in ``cwd``, in this process's
    environment (plus ``env``) with this checkout first on the path; its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "ticket_processor", *args],
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
