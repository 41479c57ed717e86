"""The one way tests call the CLI: Typer's ``CliRunner`` on ``ticketbot``'s app, in the
environment ``tests/conftest.py`` isolates (plus ``env``, for this call only).

    result = invoke("run", "--dry-run")
    assert result.exit_code == 0, result.output

A module that calls one command throughout binds it once: ``run = command("run")``.
``catch_exceptions=False`` lets an unexpected exception fail the test with its traceback
instead of becoming exit code 1.
"""

from __future__ import annotations

from collections.abc import Mapping
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
