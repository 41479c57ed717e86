"""``RunLedger``: everything that survives between scheduled runs, typed and validated.

One state directory (``TICKETBOT_STATE_DIR``), one file per concern, each written atomically
(temp file, fsync, ``os.replace``) so a kill -9 leaves the old or the new version:

    cursor.json      where discovery resumes (saved after every settled page, and on abort)
    inflight.json    tickets whose write was sent but not confirmed (the crash journal), with
                     the triage decisions among them (what a killed run was writing)
    jobs.json        helpdesk jobs sent for them, so the next run can wait for them
    retry.json       tickets that failed, with their attempt counts, for the next runs
    breakers.json    circuit breaker states, by dependency and endpoint
    alerts.json      when each alert condition last went out
    last_run.json    the summary of the last finished run
    cache.json       the analysis cache (``cache.AnalysisCache``)
    backfill.json    a backfill under way: its own discovery cursor, the batch it waits for
    harvest.json     ``learn --from-helpdesk`` under way: its own discovery cursor, its counts

Every file is validated on read (``shapes``). One that does not validate is set aside as
``<name>.bad-<timestamp>``, reported once (``set_aside``, which the run logs and puts in its
summary) and replaced by a safe default: no cursor (start again from ``--since``; the processed
marker skips what was done), an empty journal (a re-read decides; ``safe_update`` and the marker
keep a second note out), no retries, closed breakers.

Three discoveries read the helpdesk's stream, each keeping its own place in it (a
``CursorStream``): the scheduled runs (``cursor.json``), a backfill (``backfill.json``) and a
harvest of solved tickets (``harvest.json``). The harvest once kept ``learn-harvest.json`` on its
own; a harvest found there is carried over once, so nobody loses their place.

A read-only ledger (dry runs) reads the same files and writes nothing, not even a set-aside.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel

from ..common.atomic import SetAside, atomic_write_bytes, prepare_directory, read_state_bytes
from ..errors import StateFileRefused
from ..models import Cursor
from .journal import INFLIGHT, JOBS, WriteJournalFiles
from .shapes import (
    AlertsFile,
    BackfillFile,
    BreakerRecord,
    BreakersFile,
    CacheFile,
    CursorFile,
    CursorRecord,
    HarvestFile,
    InflightFile,
    JobsFile,
    LastRunFile,
    LegacyHarvestFile,
    M,
    RepliesFile,
    RetryFile,
    read_validated,
)
from .sweep import damaged, sweep

CURSOR = "cursor.json"
RETRY = "retry.json"
BREAKERS = "breakers.json"
ALERTS = "alerts.json"
LAST_RUN = "last_run.json"
CACHE = "cache.json"
BACKFILL = "backfill.json"
HARVEST = "harvest.json"
REPLIES = "replies.json"
# The run files that hold what customers wrote or what was made of it: encrypted with a key.
CUSTOMERS_FILES = frozenset(
    {"cache.json", "replies.json", "retry.json", "inflight.json", "jobs.json"}
)
LEDGER_FILES = (
    CURSOR, INFLIGHT, JOBS, RETRY, BREAKERS, ALERTS, LAST_RUN, CACHE, BACKFILL, HARVEST, REPLIES
)  # fmt: skip
LEGACY_HARVEST = "learn-harvest.json"  # the harvest's checkpoint before it joined the ledger

# Whose place in the helpdesk's stream: the scheduled runs', a backfill's, a harvest's.
CursorStream = Literal["run", "backfill", "harvest"]

_STALE_TEMP_SECONDS = 3600.0  # temp files older than this are a crashed writer's leftovers


def _file_models() -> list[tuple[str, type[BaseModel]]]:
    return [
        (CURSOR, CursorFile),
        (INFLIGHT, InflightFile),
        (JOBS, JobsFile),
        (RETRY, RetryFile),
        (BREAKERS, BreakersFile),
        (ALERTS, AlertsFile),
        (LAST_RUN, LastRunFile),
        (CACHE, CacheFile),
        (BACKFILL, BackfillFile),
        (HARVEST, HarvestFile),
        (REPLIES, RepliesFile),
    ]


class RunLedger:
    """The state directory as typed values. Thread-safe; writes go straight to disk."""

    def __init__(self, directory: Path, *, read_only: bool = False) -> None:
        self.directory = Path(directory)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._set_aside: list[SetAside] = []
        if not read_only:
            _prepare(self.directory)
        self.journal = WriteJournalFiles(self._read, self._write)
        # ``models.WriteJournal`` and the recovery's reads, as the ledger's own methods
        self.begin = self.journal.begin
        self.job_sent = self.journal.job_sent
        self.end = self.journal.end
        self.inflight = self.journal.inflight
        self.jobs = self.journal.jobs
        self.planned_writes = self.journal.decisions
        self.clear_journal = self.journal.clear

    # -- reading and writing one file --------------------------------------------------

    def path(self, name: str) -> Path:
        return self.directory / name

    def _read(self, name: str, model: type[M]) -> M | None:
        path = self.path(name)
        if self.read_only:
            # Look, but move nothing: a dry run leaves the directory as it found it.
            found, _ = _peek(path, model)
            return found
        found, aside = read_validated(path, model)
        if aside is not None:
            with self._lock:
                self._set_aside.append(aside)
        return found

    def read_cache(self) -> CacheFile | None:
        """The analysis cache's file (``state.cache.AnalysisCache`` keeps it in memory)."""
        return self._read(CACHE, CacheFile)

    def write_cache(self, payload: Mapping[str, Any]) -> None:
        self._write(CACHE, payload)

    def _write(self, name: str, value: BaseModel | Mapping[str, Any]) -> None:
        if self.read_only:
            return
        data = value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value)
        data_bytes = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        atomic_write_bytes(self.path(name), data_bytes, seal=name in CUSTOMERS_FILES)

    def note_set_aside(self, aside: SetAside) -> None:
        """Report a file set aside by another part of the state directory (the run lock)."""
        with self._lock:
            self._set_aside.append(aside)

    def take_set_aside(self) -> list[SetAside]:
        """The files set aside since the last call (each reported once)."""
        with self._lock:
            found, self._set_aside = self._set_aside, []
        return found

    def sweep(self) -> None:
        """Set aside every damaged file of the directory, whichever feature wrote it
        (``state.sweep``); ``take_set_aside`` then says what was set aside."""
        if self.read_only:
            return
        found = sweep(self.directory)
        with self._lock:
            self._set_aside.extend(found)

    def validate_all(self) -> None:
        """Sweep the directory, then read every ledger file once, setting aside what does not
        validate (start of a run); ``take_set_aside`` then says what was set aside."""
        self.sweep()
        for name, model in _file_models():
            if name not in (INFLIGHT, JOBS):
                self._read(name, model)
        self.journal.load()

    def damaged_files(self) -> list[tuple[str, str]]:
        """Files a run would set aside, and why, without moving anything (health): the ledger's
        own that do not validate, and any other the sweep would set aside (``state.sweep``:
        the audit store, the help-centre index, the features' files)."""
        found: list[tuple[str, str]] = []
        for name, model in _file_models():
            path = self.path(name)
            if not path.exists() and not path.is_symlink():
                continue
            _, why = _peek(path, model)
            if why is not None:
                found.append((name, why))
        named = {name for name, _ in found}
        found += [(name, why) for name, why in damaged(self.directory) if name not in named]
        return found

    # -- cursors: each discovery's place in the helpdesk's stream ------------------------

    def load_cursor(
        self, helpdesk: str | None = None, *, stream: CursorStream = "run"
    ) -> Cursor | None:
        """Where ``stream``'s discovery resumes; a run's cursor of another helpdesk is none."""
        if stream != "run":
            record = self.backfill() if stream == "backfill" else self.harvest()
            saved = record.cursor if record is not None else None
            return Cursor(saved.kind, saved.value, saved.start_time) if saved else None
        found = self._read(CURSOR, CursorFile)
        if found is None or (helpdesk and found.helpdesk and found.helpdesk != helpdesk):
            return None
        return Cursor(kind=found.kind, value=found.value, start_time=found.start_time)

    def save_cursor(
        self, cursor: Cursor, *, helpdesk: str | None = None, stream: CursorStream = "run"
    ) -> None:
        if stream != "run":
            saved = CursorRecord(kind=cursor.kind, value=cursor.value, start_time=cursor.start_time)
            self._update_cursor(stream, saved)
            return
        self._write(
            CURSOR,
            CursorFile(
                kind=cursor.kind,
                value=cursor.value,
                start_time=cursor.start_time,
                updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
                helpdesk=helpdesk,
            ),
        )

    def discard_cursor(self, *, stream: CursorStream = "run") -> None:
        if stream != "run":
            self._update_cursor(stream, None)
        elif not self.read_only:
            with contextlib.suppress(FileNotFoundError):
                self.path(CURSOR).unlink()

    def _update_cursor(self, stream: CursorStream, cursor: CursorRecord | None) -> None:
        """Move a backfill's or a harvest's cursor inside its record (none under way: nothing)."""
        with self._lock:
            if stream == "backfill":
                backfill = self.backfill()
                if backfill is not None:
                    self.save_backfill(backfill.model_copy(update={"cursor": cursor}))
            else:
                harvest = self.harvest()
                if harvest is not None:
                    self.save_harvest(harvest.model_copy(update={"cursor": cursor}))

    # -- re-triage on replies: its cursor and what it knows per ticket -------------------

    def replies(self) -> RepliesFile | None:
        return self._read(REPLIES, RepliesFile)

    def save_replies(self, record: RepliesFile) -> None:
        # The rows go to orjson as they are (a tuple is an array): a large book is not copied.
        self._write(
            REPLIES, {**record.model_dump(mode="json", exclude={"rows"}), "rows": record.rows}
        )

    # -- a backfill under way ------------------------------------------------------------

    def backfill(self) -> BackfillFile | None:
        return self._read(BACKFILL, BackfillFile)

    def save_backfill(self, record: BackfillFile) -> None:
        self._write(BACKFILL, record)

    def clear_backfill(self) -> None:
        if not self.read_only:
            with contextlib.suppress(FileNotFoundError):
                self.path(BACKFILL).unlink()

    # -- a harvest under way (``learn --from-helpdesk``) ----------------------------------

    def harvest(self) -> HarvestFile | None:
        found = self._read(HARVEST, HarvestFile)
        if found is None and not self.path(HARVEST).exists():
            found = self._carry_over_harvest()
        return found

    def save_harvest(self, record: HarvestFile) -> None:
        self._write(HARVEST, record)

    def clear_harvest(self) -> None:
        if not self.read_only:
            for name in (HARVEST, LEGACY_HARVEST):
                with contextlib.suppress(FileNotFoundError):
                    self.path(name).unlink()

    def _carry_over_harvest(self) -> HarvestFile | None:
        """A harvest the older ``learn-harvest.json`` recorded, moved into the ledger once."""
        if self.read_only:
            found, _ = _peek(self.path(LEGACY_HARVEST), LegacyHarvestFile)
            return found.carried_over() if found is not None else None
        legacy = self._read(LEGACY_HARVEST, LegacyHarvestFile)
        if legacy is None:
            return None
        record = legacy.carried_over()
        self.save_harvest(record)
        with contextlib.suppress(FileNotFoundError):
            self.path(LEGACY_HARVEST).unlink()
        return record

    # -- retry queue ---------------------------------------------------------------------

    def retry_queue(self) -> dict[int, int]:
        found = self._read(RETRY, RetryFile)
        return {int(k): v for k, v in found.tickets.items()} if found else {}

    def save_retry_queue(self, queue: Mapping[int, int]) -> None:
        self._write(RETRY, RetryFile(tickets={str(k): v for k, v in sorted(queue.items())}))

    # -- breakers (``resilience.breaker.BreakerStorage``) --------------------------------

    def breaker_storage(self) -> _BreakerStorage:
        return _BreakerStorage(self)

    def breaker_states(self) -> dict[str, dict[str, Any]]:
        found = self._read(BREAKERS, BreakersFile)
        return {k: v.model_dump() for k, v in found.root.items()} if found else {}

    def _save_breaker(self, name: str, record: dict[str, Any]) -> None:
        with self._lock:
            states = self.breaker_states()
            states[name] = BreakerRecord.model_validate(record).model_dump()
            self._write(BREAKERS, states)

    def reset_breakers(self, names: Iterable[str] | None = None) -> list[str]:
        """Close the named breakers (all when None); the names that were open."""
        with self._lock:
            states = self.breaker_states()
            chosen = set(states) if names is None else set(names)
            opened = [n for n in sorted(chosen & set(states)) if states[n].get("state") == "open"]
            for name in chosen & set(states):
                states[name] = {"state": "closed", "failures": 0, "opened_at": None}
            self._write(BREAKERS, states)
            return opened

    # -- alerts and the last run ----------------------------------------------------------

    def alerts_sent(self) -> dict[str, float]:
        found = self._read(ALERTS, AlertsFile)
        return dict(found.root) if found else {}

    def save_alerts_sent(self, sent: Mapping[str, float]) -> None:
        self._write(ALERTS, dict(sent))

    def last_run(self) -> dict[str, Any] | None:
        found = self._read(LAST_RUN, LastRunFile)
        return found.model_dump() if found else None

    def save_last_run(self, summary: Mapping[str, Any]) -> None:
        self._write(LAST_RUN, LastRunFile.model_validate(dict(summary)))


class _BreakerStorage:
    """``resilience.breaker.BreakerStorage`` over the ledger's ``breakers.json``."""

    def __init__(self, ledger: RunLedger) -> None:
        self._ledger = ledger

    def load(self, name: str) -> dict[str, Any] | None:
        return self._ledger.breaker_states().get(name)

    def save(self, name: str, data: dict[str, Any]) -> None:
        self._ledger._save_breaker(name, data)


def _peek(path: Path, model: type[M]) -> tuple[M | None, str | None]:
    """Read and validate without setting anything aside; (None, why) when damaged."""
    try:
        raw = read_state_bytes(path)
    except FileNotFoundError:
        return None, None
    except StateFileRefused as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or exc})"
    try:
        return model.model_validate(orjson.loads(raw)), None
    except orjson.JSONDecodeError:
        return None, "not JSON" if raw.strip() else "empty file"
    except ValueError as exc:
        return None, f"wrong shape ({str(exc).splitlines()[0][:120]})"


def _prepare(directory: Path) -> None:
    prepare_directory(directory, "TICKETBOT_STATE_DIR")
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for leftover in directory.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.lstat().st_mtime < cutoff:
                leftover.unlink()
