"""A run whose stop abandoned analyses ends the ``ticketbot`` process without waiting for their
threads, and only that process: a program that runs the app in its own process (a test's
``CliRunner``, an orchestrator's task) gets the exit code and lives on. Ending the caller's
process from inside the command killed a pytest-xdist worker in the middle of the suite.

Each case runs in a child Python, so the failure it guards against cannot take the test down.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_in_process_the_run_exit_after_abandoned_analyses_returns_its_code() -> None:
    ended = python(
        """
        import typer
        from ticket_processor.commands.run import _exit
        from ticket_processor.passes.types import RunSummary

        try:
            _exit(RunSummary(run_id="r", exit_code=143, abandoned=2))
        except typer.Exit as stop:
            print("caller alive", stop.exit_code)
        """
    )
    assert ended.stdout.split() == ["caller", "alive", "143"], (ended.returncode, ended.stderr)


def test_the_console_script_ends_without_waiting_for_the_abandoned_threads() -> None:
    ended = python(
        """
        import sys, threading, time
        import typer
        from ticket_processor import cli
        from ticket_processor.commands.common import exit_leaving_threads

        # An analysis stuck on the LLM, as the grace left it: a thread that would hold a
        # normal interpreter exit for ten minutes.
        threading.Thread(target=time.sleep, args=(600,)).start()
        app = typer.Typer()

        @app.callback()
        def root() -> None:
            pass

        @app.command()
        def run() -> None:
            exit_leaving_threads(143)

        cli.build_app = lambda invoked=None: app
        sys.argv = ["ticketbot", "run"]
        cli.main()
        """
    )
    assert ended.returncode == 143, ended.stderr
