"""The standard ``logging`` module, configured once per command.

Libraries (urllib3, openai, python-dotenv) and a few of our modules report through ``logging``;
left unconfigured, Python prints their warnings raw on stderr, secrets and all, and under cron
they vanish into a mail nobody reads. Here every warning (and worse) becomes a
``library_warning`` event in the JSON-lines log, and on a terminal also one line on stderr,
both scrubbed by the one ``Scrubber``. ``warnings.warn`` from libraries is routed the same way.

The CLI calls ``configure_logging_for(log_dir, scrubber, ...)`` once per command, with its
settings' log directory and scrubber; calling it again replaces the previous configuration
(tests run many commands in one process).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from ..common.eventlog import EventLog, EventSink, new_run_id
from ..common.scrub import Scrubber
from ..errors import TicketBotError

EVENT = "library_warning"


class _LazyEventLog:
    """An ``EventLog`` opened on the first warning, so a quiet command creates no file."""

    def __init__(self, directory: Path, scrubber: Scrubber) -> None:
        self._directory = directory
        self._scrubber = scrubber
        self._log: EventLog | None = None
        self._failed = False

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        if self._failed:
            return {}
        try:
            if self._log is None:
                self._log = EventLog(self._directory, run_id=new_run_id(), secrets=self._scrubber)
            return self._log.emit(event, **fields)
        except TicketBotError as exc:
            # A log directory refused or a full disk: said once, in one line, and the command
            # goes on (``logging`` would print a traceback for an error raised in a handler).
            self._failed = True
            why = self._scrubber.text(str(exc))
            sys.stderr.write(f"ticketbot: warnings are not logged: {why}\n")
            return {}

    def close(self) -> None:
        if self._log is not None:
            self._log.close()


class LibraryWarningHandler(logging.Handler):
    """Writes each record as a scrubbed ``library_warning`` event (and to stderr on a terminal)."""

    def __init__(
        self, sink: EventSink | None, scrubber: Scrubber, *, stream: TextIO | None
    ) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink
        self.scrubber = scrubber
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.scrubber.text(record.getMessage())
            # Only the exception's type: its text and traceback may carry locals or a URL.
            kind = record.exc_info[0] if record.exc_info else None
            error_type = kind.__name__ if kind is not None else None
            if self.sink is not None:
                self.sink.emit(
                    EVENT,
                    logger=record.name,
                    level=record.levelname.lower(),
                    message=message,
                    error_type=error_type,
                )
            if self.stream is not None:
                self.stream.write(f"{record.levelname.lower()}: {record.name}: {message}\n")
                self.stream.flush()
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)

    def close(self) -> None:
        if isinstance(self.sink, _LazyEventLog):
            self.sink.close()
        super().close()


class _StderrNow:
    """``sys.stderr`` as it is when written to (CliRunner and pytest swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(
    event_log: EventSink | None,
    secrets: tuple[str, ...] | Scrubber,
    *,
    on_terminal: bool,
    stream: TextIO | None = None,
) -> LibraryWarningHandler:
    """Route warnings of every logger to ``event_log`` (and stderr on a terminal), scrubbed.

    Replaces the handler a previous call installed; returns the new one.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, LibraryWarningHandler)]:
        root.removeHandler(old)
        old.close()
    scrubber = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
    shown: TextIO | None = (stream or _StderrNow()) if on_terminal else None  # type: ignore[assignment]
    handler = LibraryWarningHandler(event_log, scrubber, stream=shown)
    root.addHandler(handler)
    if root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler


def configure_logging_for(
    log_dir: Path, scrubber: Scrubber, *, on_terminal: bool
) -> LibraryWarningHandler:
    """``configure_logging`` for a command: its log directory (the log opened on the first
    warning) and the scrubber of its settings' secrets."""
    return configure_logging(_LazyEventLog(log_dir, scrubber), scrubber, on_terminal=on_terminal)
