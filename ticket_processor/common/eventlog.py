"""The JSON-lines event log: one file a day, one line per event, written with orjson.

Files are ``<log dir>/ticketbot-YYYY-MM-DD.jsonl`` (the UTC date of the event). Every line is
one JSON object with at least::

    {"ts": "2026-11-22T05:34:41.123Z", "event": "...", "run_id": "20261122T053441Z-3f9a1c", ...}

The day's file is opened like every state file (``common.atomic.open_state_file``): a link, a
FIFO or a directory where it belongs is set aside (``<name>.bad-<timestamp>``, then a
``log_file_set_aside`` warning in the new file), never appended through. A write that fails (a
full disk) is a ``DiskWriteError`` naming the file and the fix, one line for the user.

Each line goes out in a single unbuffered ``write`` under a lock, so threads never interleave
and a line is on disk (in the OS) as soon as ``emit`` returns; a kill -9 can at worst cut the
last line short: readers skip such a line, and the next run to open the file ends it first
(``atomic.open_line_file``), so its own first line is never glued to it. Every string value
(nested dicts and lists included; never a key) passes through ``scrub.Scrubber`` before it is
written.

Event vocabulary (``ticketbot report`` and ``ticketbot health`` read these):

``run_started``
    engine, dry_run, workers, limit, since, models, version
``ticket_triaged``
    ticket_id, category, urgency, sentiment, language, confidence, engine ("llm" | "rules"),
    model, fallback (bool), fallback_reason, cached (bool), prompt_tokens, completion_tokens,
    llm_seconds, seconds, priority (set, or null), tags_added (list), dry_run; with routing:
    route (a name or a list), group, escalated (bool); ``recovered_by``: a killed run's write
    the next run found landed, logged by that run under the killed run's ``run_id``
``ticket_failed``
    ticket_id, stage ("analyse" | "write"), error_type, error, ticket_url (optional)
``ticket_outcome``
    ticket_id, status ("solved" | "closed"), labels ({category, urgency} the ticket carries
    now): a solved ticket ticketbot triaged, seen by discovery (``learned.outcomes``);
    ``report`` joins it with the ticket's earlier ``ticket_triaged`` into ``agreement`` rows
``agreement``
    ticket_id, field ("category" | "urgency" | ...), ticketbot (what it set), agent (what an
    agent left), agreed (optional bool): one field of one ticket compared after the fact
``breaker_opened``
    dependency
``library_warning``
    logger, level, message, error_type: a warning from a library or module through ``logging``
    (``logsetup``), scrubbed
``run_finished``
    status ("ok" | "partial" | "aborted" | "stopped"), exit_code, tickets_seen,
    triaged, failed, skipped, fallback, cached, seconds, prompt_tokens, completion_tokens,
    cost_usd, reason

Other events may be added; readers must ignore events and fields they do not know.

``listen`` adds a listener that is handed every record as written (the audit store's feed),
after the line is on disk and outside the log's lock, so a listener may emit events itself.
"""

from __future__ import annotations

import os
import re
import secrets as _random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

import orjson

from ..errors import DiskWriteError, StateFileRefused
from .atomic import (
    SetAside,
    open_line_file,
    open_state_file,
    prepare_directory,
    set_aside,
    write_failure,
)
from .scrub import Scrubber
from .timespec import format_ts, parse_ts

FILE_PREFIX = "ticketbot-"
FILE_SUFFIX = ".jsonl"
_FILE_NAME = re.compile(r"^ticketbot-(\d{4}-\d{2}-\d{2})\.jsonl$")
RESERVED = ("ts", "event", "run_id")
OF_RUN = "of_run"  # ``emit``'s word for "this event is that other run's"


def log_file_name(day: date) -> str:
    return f"{FILE_PREFIX}{day.isoformat()}{FILE_SUFFIX}"


def new_run_id() -> str:
    """A run id that sorts by start time and is unique enough: ``20261122T053441Z-3f9a1c``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{_random.token_hex(3)}"


class EventSink(Protocol):
    """What records events: ``EventLog``, or anything with its ``emit`` (a test's list)."""

    def emit(self, event: str, **fields: Any) -> dict[str, Any]: ...


class EventLog:
    """Appends events for one run to the day's file. Thread-safe; also a context manager."""

    def __init__(
        self,
        directory: Path,
        *,
        run_id: str,
        secrets: tuple[str, ...] | Scrubber = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.directory = Path(directory)
        self.run_id = run_id
        self._scrub = secrets if isinstance(secrets, Scrubber) else Scrubber(secrets)
        self._clock = clock
        self._lock = threading.Lock()
        self._handle: IO[bytes] | None = None
        self._day: date | None = None
        self._set_aside: SetAside | None = None  # what stood where today's file belongs
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        prepare_directory(self.directory, "TICKETBOT_LOG_DIR")
        self.path = self.directory / log_file_name(self._today())

    def _today(self) -> date:
        moment = self._clock()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date()

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one event line and return the record as written (secrets scrubbed).

        Fields never overwrite the envelope (``ts``, ``event``, ``run_id``). ``of_run`` names
        another run the event is of, logged by this one: a killed run's write the next run
        found landed (``run.discovery.record_landed``)."""
        of_run = fields.pop(OF_RUN, None)
        with self._lock:
            moment = self._clock()
            record: dict[str, Any] = {
                "ts": format_ts(moment),
                "event": self._scrub.text(event),
                "run_id": self._scrub.text(of_run if isinstance(of_run, str) else self.run_id),
            }
            for key, value in self._scrub(
                {k: v for k, v in fields.items() if k not in RESERVED}
            ).items():
                record[key] = value
            line = orjson.dumps(record) + b"\n"
            try:
                self._file_for(moment).write(line)
            except OSError as exc:
                raise write_failure(self.path, exc, "TICKETBOT_LOG_DIR") from exc
            if self._set_aside is not None:
                aside, self._set_aside = self._set_aside, None
                self._write_set_aside(moment, aside)
        for listener in self._listeners:
            listener(record)
        return record

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Hand every record written from now on to ``listener`` too."""
        self._listeners.append(listener)

    def _write_set_aside(self, moment: datetime, aside: SetAside) -> None:
        record = {
            "ts": format_ts(moment),
            "event": "log_file_set_aside",
            "run_id": self._scrub.text(self.run_id),
            "level": "warning",
            "file": aside.file,
            "moved_to": aside.moved_to,
            "reason": aside.reason,
        }
        try:
            self._file_for(moment).write(orjson.dumps(record) + b"\n")
        except OSError as exc:
            raise write_failure(self.path, exc, "TICKETBOT_LOG_DIR") from exc

    def _file_for(self, moment: datetime) -> IO[bytes]:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        day = moment.astimezone(UTC).date()
        if self._handle is None or day != self._day or self._replaced():
            if self._handle is not None:
                self._handle.close()
            self.path = self.directory / log_file_name(day)
            # Unbuffered append: each line is one write() to an O_APPEND file, so even another
            # process appending to the same day's file (a locked-out run) cannot split it.
            self._handle = open(self._open_fd(), "ab", buffering=0)  # noqa: SIM115 - kept open across emits
            self._day = day
        return self._handle

    def _replaced(self) -> bool:
        """Whether the day's file was replaced under the open handle (``privacy forget``
        rewrites a log without a ticket's text): the next line goes to the new file."""
        assert self._handle is not None
        try:
            return os.stat(self.path).st_ino != os.fstat(self._handle.fileno()).st_ino
        except OSError:
            return True

    def _open_fd(self) -> int:
        # 0644 less the umask, as a plain open made it: a log reader of another user keeps working.
        try:
            try:
                return open_line_file(self.path, 0o644)
            except StateFileRefused as exc:
                self._set_aside = set_aside(self.path, str(exc))
                return open_line_file(self.path, 0o644)
        except OSError as exc:
            raise write_failure(self.path, exc, "TICKETBOT_LOG_DIR") from None
        except StateFileRefused as exc:
            raise DiskWriteError(
                f"cannot open the log {self.path} ({exc}): remove it, or point "
                "TICKETBOT_LOG_DIR at a directory of this user"
            ) from None

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
                self._day = None

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _file_day(path: Path) -> date | None:
    match = _FILE_NAME.match(path.name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def log_files(directory: Path) -> list[tuple[date, Path]]:
    """The daily log files in ``directory``, oldest first."""
    if not directory.is_dir():
        return []
    found = [(day, path) for path in directory.iterdir() if (day := _file_day(path)) is not None]
    return sorted(found)


def prune_logs(directory: Path, *, keep_days: int, today: date) -> list[Path]:
    """Remove daily files older than ``keep_days`` (today counts as one); return what went."""
    oldest_kept = today - timedelta(days=max(keep_days, 1) - 1)
    removed = []
    for day, path in log_files(directory):
        if day < oldest_kept:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
    return removed


class EventStream(Iterator[dict[str, Any]]):
    """Events from the daily files, oldest first; ``corrupt_lines`` counts lines skipped,
    ``skipped_files`` names what stood under a log file's name but was no regular file."""

    def __init__(
        self, directory: Path, since: datetime | None = None, until: datetime | None = None
    ) -> None:
        self.since = _aware(since)
        self.until = _aware(until)
        self.corrupt_lines = 0
        self.skipped_files: list[str] = []  # named like a log file, but not a regular file
        self._events = self._generate(Path(directory))

    def __next__(self) -> dict[str, Any]:
        return next(self._events)

    def __iter__(self) -> EventStream:
        return self

    def _generate(self, directory: Path) -> Iterator[dict[str, Any]]:
        # Events are stamped with their UTC date, so whole files outside the range can be skipped.
        first_day = self.since.date() if self.since else None
        last_day = self.until.date() if self.until else None
        for day, path in log_files(directory):
            if (first_day and day < first_day) or (last_day and day > last_day):
                continue
            try:
                # A FIFO planted under a log file's name would block a plain open for ever.
                handle = os.fdopen(open_state_file(path, os.O_RDONLY), "rb")
            except FileNotFoundError:  # pruned while we read
                continue
            except (StateFileRefused, OSError):  # a link, a FIFO, a directory: not our file
                self.skipped_files.append(path.name)
                continue
            with handle:
                for line in handle:
                    if not line.strip():
                        continue
                    parsed = self._parse(line)
                    if parsed is None:
                        self.corrupt_lines += 1
                        continue
                    record, moment = parsed
                    if (self.since and moment < self.since) or (
                        self.until and moment >= self.until
                    ):
                        continue
                    yield record

    @staticmethod
    def _parse(line: bytes) -> tuple[dict[str, Any], datetime] | None:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(record, dict) or not isinstance(record.get("event"), str):
            return None
        ts = record.get("ts")
        if not isinstance(ts, str):
            return None
        try:
            return record, parse_ts(ts)
        except ValueError:
            return None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def read_events(
    directory: Path, *, since: datetime | None = None, until: datetime | None = None
) -> EventStream:
    """Stream events with ``since <= ts < until``, in time order.

    Corrupt lines (a line cut short by a kill, hand edits) are skipped and counted in the
    returned stream's ``corrupt_lines``.
    """
    return EventStream(directory, since, until)
