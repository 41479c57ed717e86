"""The commands' consoles: rich on a terminal, plain text (and no rich at all) elsewhere.

A command prints rich markup (``"[red]error:[/] " + escape(text)``), tables and a progress bar
on a terminal. Under cron, a CronJob or a pipe nobody watches, rich would only drop the markup
and wrap at 80 columns, and importing it costs every scheduled run a few MB of the memory the
CronJob's limit is sized from. So ``Output`` decides at each call, from the stream as it is then
(a test's runner swaps it): a terminal, or ``FORCE_COLOR`` / ``TTY_COMPATIBLE`` set, gets rich's
``Console``; anything else gets the text with the markup read as rich reads it and dropped, on
one line however long. What is not a string (a table) always goes to rich.

``escape`` is rich's escaping, written here so that building a message imports nothing. The
plain text is rich's, character for character (``tests/commands/test_console.py``), but for
two things rich does and this does not: ``:name:`` emoji codes stay as they are written (in a
ticket's subject they are the customer's text), and nothing is wrapped.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO, Any

# rich's markup tags: ``[name]``, ``[name=value]``, ``[/]``, ``[/name]``, ``[@handler]``, each
# escaped by an odd number of backslashes before it (an even number is literal backslashes).
_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")

# rich's own switches for colour and terminal features when the stream is not a terminal.
FORCING = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def escape(text: str) -> str:
    """``text`` as markup that shows it as it is: each tag-like ``[...]`` gets a backslash
    (and the backslashes before it are doubled); a trailing lone backslash is doubled."""
    escaped = _TAG.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        return escaped + "\\"
    return escaped


def plain(markup: str) -> str:
    """What rich shows of ``markup`` without styles: tags dropped, escaped tags and
    backslashes shown once, ``\\[`` outside a tag shown as ``[``."""
    out: list[str] = []
    position = 0
    for match in _TAG.finditer(markup):
        start, end = match.span()
        out.append(_text(markup[position:start]))
        backslashes, escaped = divmod(len(match.group(1)), 2)
        out.append("\\" * backslashes)
        if escaped:
            out.append(match.group(2))  # an escaped tag is text
        position = end
    out.append(_text(markup[position:]))
    return "".join(out)


def _text(segment: str) -> str:
    return segment.replace("\\[", "[")


def rich_wanted(stream: IO[str]) -> bool:
    """Whether rich should draw on ``stream``: a terminal, or rich's forcing variables set."""
    if any(os.environ.get(name) for name in FORCING):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or not a real stream
        return False


class Output:
    """A console for a command: ``print``, ``is_terminal`` and ``width`` as rich's ``Console``
    has them, rich itself only when ``rich_wanted``; anything else is rich's."""

    def __init__(self, *, stderr: bool = False, **options: Any) -> None:
        self._stderr = stderr
        self._options = options
        self._rich: Any = None
        self._rich_stream: IO[str] | None = None

    @property
    def _stream(self) -> IO[str]:
        return sys.stderr if self._stderr else sys.stdout

    def rich(self) -> Any:
        """rich's ``Console`` for this stream (made once; again when the stream changes)."""
        stream = self._stream
        if self._rich is None or self._rich_stream is not stream:
            from rich.console import Console

            self._rich = Console(stderr=self._stderr, **self._options)
            self._rich_stream = stream
        return self._rich

    @property
    def is_terminal(self) -> bool:
        return rich_wanted(self._stream) and bool(self.rich().is_terminal)

    @property
    def width(self) -> int:
        return int(self.rich().width) if rich_wanted(self._stream) else 80

    def print(
        self, *objects: Any, sep: str = " ", end: str = "\n", markup: bool | None = None, **kw: Any
    ) -> None:
        stream = self._stream
        if rich_wanted(stream) or not all(isinstance(o, str) for o in objects):
            self.rich().print(*objects, sep=sep, end=end, markup=markup, **kw)
            return
        use_markup = self._options.get("markup", True) if markup is None else markup
        text = sep.join(plain(o) if use_markup else o for o in objects)
        try:
            stream.write(text.expandtabs(8) + end)  # rich's tab stops
            stream.flush()
        except BrokenPipeError:
            reader_gone(stream)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich(), name)


def reader_gone(stream: IO[str]) -> None:
    """``ticketbot run | head -1``: the reader of the output went away. What is printed is only
    what the command says of its work, so the work goes on and the rest of the output goes
    nowhere (the stream is pointed at /dev/null: the interpreter's last flush fails no more)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (tests' captured output)
        pass
