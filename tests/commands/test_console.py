"""The commands' consoles: plain text off a terminal, rich on one.

Off a terminal ``Output`` prints what rich's ``Console`` prints there (the markup read and
dropped), without importing rich; on a terminal, or with rich's forcing variables, it is rich.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console
from rich.markup import escape as rich_escape

from ticket_processor.commands import console as console_module
from ticket_processor.commands.console import Output, escape, plain

# What commands print, and what hostile ticket text and paths put inside the messages.
TEXTS = (
    "plain words",
    "[red]not a tag? it is one[/]",
    "a path C:\\dir\\",
    "ends in a backslash\\",
    "two at the end\\\\",
    "\\[bold] escaped already",
    "\\\\[bold] a backslash then a tag",
    "[/]",
    "[/nothing]",
    "[link=https://evil.example]click[/link]",
    "[@click=app.quit]x[/]",
    "[#ff0000]hex[/]",
    "[ not a tag ]",
    "[1] numbered, [a] lettered",
    "brackets [[double]] and ]] stray [",
    "unicode ünïcödé [grün] 日本語",
    "tabs\tand\nnewlines",
)
MARKUPS = (
    "[red]error:[/] {}",
    "[yellow]note:[/] {}",
    "[red]configuration error:[/] {}",
    "run stopped: {}",
    "{}",
)


def _rich_plain(markup: str) -> str:
    """What rich prints of ``markup`` on a stream that is not a terminal, unwrapped."""
    buffer = io.StringIO()
    Console(file=buffer, highlight=False, soft_wrap=True, emoji=False).print(markup)
    return buffer.getvalue()


@pytest.mark.parametrize("text", TEXTS)
def test_escape_is_richs(text: str) -> None:
    assert escape(text) == rich_escape(text)
    assert plain(escape(text)).expandtabs(8) + "\n" == _rich_plain(rich_escape(text))


@pytest.mark.parametrize("shape", MARKUPS)
@pytest.mark.parametrize("text", TEXTS)
def test_off_a_terminal_the_text_is_what_rich_prints(
    shape: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in console_module.FORCING:
        monkeypatch.delenv(name, raising=False)
    markup = shape.format(escape(text))
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    Output(stderr=True, highlight=False, soft_wrap=True).print(markup)
    assert buffer.getvalue() == _rich_plain(markup)


def test_off_a_terminal_a_long_line_stays_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in console_module.FORCING:
        monkeypatch.delenv(name, raising=False)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    out = Output(highlight=False)
    line = "triaged=10000 " * 20
    out.print(line, markup=False)
    assert buffer.getvalue() == line + "\n"
    assert not out.is_terminal
    assert out.width == 80


def test_a_table_off_a_terminal_is_drawn_by_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.table import Table

    for name in console_module.FORCING:
        monkeypatch.delenv(name, raising=False)
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    table = Table("what", "value")
    table.add_row("triaged", "3")
    Output().print(table)
    assert "triaged" in buffer.getvalue()
    assert "3" in buffer.getvalue()


def test_a_terminal_or_forced_colour_gets_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in console_module.FORCING:
        monkeypatch.delenv(name, raising=False)
    leader, follower = os.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as tty:
            monkeypatch.setattr(sys, "stdout", tty)
            out = Output()
            assert out.is_terminal
            out.print("[red]error:[/] x")
            tty.flush()
            shown = os.read(leader, 4096)
    finally:
        os.close(leader)
        os.close(follower)
    assert b"\x1b[" in shown  # rich's colour on a terminal
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buffer)
    monkeypatch.setenv("FORCE_COLOR", "1")
    Output().print("[red]error:[/] x")
    assert "\x1b[" in buffer.getvalue()


def test_the_run_command_under_cron_imports_no_rich() -> None:
    # ``ticketbot run`` loads its command (and its console) without rich; an error off a
    # terminal is still one clean line.
    probe = textwrap.dedent(
        """
        import sys
        from ticket_processor.cli import build_app
        build_app("run")
        from ticket_processor.commands.common import err_console
        err_console.print("[red]error:[/] " + sys.argv[1])
        print("rich" in sys.modules, flush=True)
        """
    )
    from ticket_processor.commands.console import escape as ours

    env = {k: v for k, v in os.environ.items() if k not in console_module.FORCING}
    done = subprocess.run(
        [sys.executable, "-c", probe, ours("bad [bold]value[/]")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "False"
    assert done.stderr == "error: bad [bold]value[/]\n"


def test_a_reader_that_goes_away_stops_the_output_not_the_work(
    tmp_path: Path,
) -> None:
    # ``ticketbot run | head -1``: once the pipe's reader has closed it, printing is what fails;
    # the command goes on with its work (here: writing a file after the printing) and exits 0.
    done_file = tmp_path / "done"
    probe = textwrap.dedent(
        """
        import sys
        from ticket_processor.commands.console import Output
        out = Output()
        for index in range(20000):
            out.print(f"line {index} [bold]of the run[/]")
        open(sys.argv[1], "w").write("done")
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in console_module.FORCING}
    child = subprocess.Popen(
        [sys.executable, "-c", probe, str(done_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None
    assert child.stderr is not None
    assert child.stdout.readline() == b"line 0 of the run\n"
    child.stdout.close()  # the reader goes away, as `head -1` does
    errors = child.stderr.read()
    assert child.wait(timeout=60) == 0, errors
    assert errors == b""
    with open(done_file) as written:
        assert written.read() == "done"
