"""Output to a pipe whose reader goes away: ``ticketbot report | head`` is not a failure.

Rich exits 1 when stdout is closed under it, and Click turns a broken pipe into exit 1 too;
for a command that has done its work (the HTML file is written first) that is no error. The
command prints through ``PipeConsole`` inside ``stdout_may_close()`` and exits 0, quietly.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from ..exitcodes import ExitCode


class PipeConsole(Console):
    """Rich exits 1 when stdout is closed under it; for ``report | head`` that is no failure."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


@contextmanager
def stdout_may_close() -> Iterator[None]:
    """``ticketbot report | head``: stdout closed by the reader is not an error; exit 0, quietly."""
    try:
        yield
        sys.stdout.flush()  # inside: the last block may fail only when flushed
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # not a real file (tests' captured output)
            pass
        raise typer.Exit(ExitCode.OK) from None
