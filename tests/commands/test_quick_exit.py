"""The console script ends without the interpreter's teardown once a command is done (freeing
every module and object one by one cost a 1,000-ticket run more CPU than its log), and only
after what a normal exit does first: the ``atexit`` work (the logging handlers' flush among it),
the standard streams' flush, the wait for threads still running. ``cli.main`` itself returns to
its caller as before. Each case runs in a child Python; the last ones run ``ticketbot run``
as the console script against each helpdesk's sandbox and read what it left behind.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.state.ledger import CURSOR


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


# A module-level object whose finalizer only a teardown runs, an atexit hook and a logging
# file handler whose last record is still in its buffer when the command returns.
_SETUP = """
    import atexit, logging, os, sys, threading, time
    import typer
    from ticket_processor import cli

    class Torn:
        def __del__(self, write=os.write):
            write(1, b"torn down\\n")

    kept = Torn()
    atexit.register(lambda: print("atexit ran", flush=True))
    handler = logging.FileHandler(sys.argv[1] if len(sys.argv) > 1 else "/dev/null")
    logging.getLogger("probe").addHandler(handler)
    # A command named, as a user types it: with none, ``main`` prints the list of commands.
    sys.argv = ["ticketbot", "run"]
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        pass
"""


def test_the_console_script_skips_the_teardown_after_the_exit_work(tmp_path: Path) -> None:
    log = tmp_path / "probe.log"
    code = (
        _SETUP
        + """
    @app.command()
    def run() -> None:
        logging.getLogger("probe").warning("the last record")
        sys.stdout.write("no newline, not flushed")
        raise typer.Exit(3)

    cli.build_app = lambda invoked=None: app
    cli.console()
    """
    )
    ended = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(log)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ended.returncode == 3, ended.stderr
    assert "atexit ran" in ended.stdout
    assert "no newline, not flushed" in ended.stdout
    assert "torn down" not in ended.stdout  # no teardown
    assert log.read_text("utf-8") == "the last record\n"


def test_main_still_returns_to_its_caller() -> None:
    ended = python(
        _SETUP
        + """
    @app.command()
    def run() -> None:
        pass

    cli.build_app = lambda invoked=None: app
    try:
        cli.main()
    except SystemExit as stop:
        print("caller alive", stop.code)
    """
    )
    assert "caller alive 0" in ended.stdout, ended.stderr
    assert "torn down" in ended.stdout  # the normal exit, teardown and all


def test_a_thread_still_running_is_waited_for() -> None:
    ended = python(
        _SETUP
        + """
    def late() -> None:
        time.sleep(0.5)
        print("thread finished", flush=True)

    @app.command()
    def run() -> None:
        threading.Thread(target=late).start()

    cli.build_app = lambda invoked=None: app
    cli.console()
    """
    )
    assert ended.returncode == 0, ended.stderr
    assert "thread finished" in ended.stdout


def test_a_message_exit_is_printed_as_before() -> None:
    ended = python(
        _SETUP
        + """
    @app.command()
    def run() -> None:
        sys.exit("went wrong")

    cli.build_app = lambda invoked=None: app
    cli.console()
    """
    )
    assert ended.returncode == 1
    assert "went wrong" in ended.stderr


@pytest.mark.desk(configure=True)
def test_a_console_run_leaves_its_log_and_audit_store_complete(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create(
        [
            NewTicket("Refund", "I was charged twice for my order, please refund one."),
            NewTicket("Password", "I cannot log in: the reset link never arrives."),
        ]
    )
    done = subprocess.run(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    logged = events(tmp_path / "logs")
    assert "run_finished" in {e["event"] for e in logged}
    assert {e["ticket_id"] for e in logged if e["event"] == "ticket_triaged"} == set(ids)
    # Every event whole on disk, the last one included (a line cut short would not parse).
    assert all(path.read_text("utf-8").endswith("}\n") for path in (tmp_path / "logs").iterdir())
    with sqlite3.connect(tmp_path / "state" / "audit.sqlite3") as store:
        stored = {row[0] for row in store.execute("SELECT ticket_id FROM decisions")}
    assert set(ids) <= stored
    assert (tmp_path / "state" / CURSOR).is_file()  # the state, saved for the next run


@pytest.mark.desk(configure=True)
def test_a_failing_console_run_returns_its_exit_code_and_its_reason(
    desk: Desk, tmp_path: Path
) -> None:
    desk.create([NewTicket("Refund", "I was charged twice for my order, please refund one.")])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ticket_processor",
            "run",
            "--engine",
            "rules",
            "--ticket",
            "987654",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "987654" in done.stdout + done.stderr  # the message, flushed before the exit
