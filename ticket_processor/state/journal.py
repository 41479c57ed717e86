"""The write journal: which tickets' writes were sent but not confirmed, and the helpdesk jobs
sent for them (``inflight.json``, ``jobs.json``).

``models.WriteJournal`` over two ledger files. ``begin`` is fsync'd before the write
goes out, so a kill -9 right after it is remembered; the next run settles those writes
(``Helpdesk.recover``) and then clears the journal. ``RunLedger`` composes one and hands out
its methods, so callers keep using the ledger as the journal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from .shapes import InflightFile, JobsFile

INFLIGHT = "inflight.json"
JOBS = "jobs.json"

Write = Callable[[str, BaseModel | Mapping[str, Any]], None]


class WriteJournalFiles:
    """``models.WriteJournal`` on disk. Thread-safe; loaded once, on first use."""

    def __init__(self, read: Callable[[str, type[Any]], Any], write: Write) -> None:
        self._read = read
        self._write = write
        self._lock = threading.RLock()
        self._inflight: set[int] = set()
        self._jobs: dict[str, list[int]] = {}
        self._loaded = False

    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            inflight: InflightFile | None = self._read(INFLIGHT, InflightFile)
            jobs: JobsFile | None = self._read(JOBS, JobsFile)
            self._inflight = set(inflight.ticket_ids) if inflight else set()
            self._jobs = {k: list(v) for k, v in jobs.jobs.items()} if jobs else {}
            self._loaded = True

    def inflight(self) -> set[int]:
        self.load()
        with self._lock:
            return set(self._inflight)

    def jobs(self) -> dict[str, list[int]]:
        self.load()
        with self._lock:
            return {k: list(v) for k, v in self._jobs.items()}

    def begin(self, ticket_ids: Sequence[int]) -> None:
        """Persist (fsync'd) before the write is sent, so a crash right after it is remembered."""
        self.load()
        with self._lock:
            if set(ticket_ids) <= self._inflight:
                return
            self._inflight |= set(ticket_ids)
            self._write(INFLIGHT, InflightFile(ticket_ids=sorted(self._inflight)))

    def job_sent(self, job_id: str, ticket_ids: Sequence[int]) -> None:
        self.load()
        with self._lock:
            self._jobs[job_id] = list(ticket_ids)
            self._write(JOBS, JobsFile(jobs=self._jobs))

    def end(self, ticket_ids: Sequence[int], job_ids: Sequence[str]) -> None:
        self.load()
        with self._lock:
            if self._inflight & set(ticket_ids):
                self._inflight -= set(ticket_ids)
                self._write(INFLIGHT, InflightFile(ticket_ids=sorted(self._inflight)))
            removed = [job_id for job_id in job_ids if self._jobs.pop(job_id, None) is not None]
            if removed:
                self._write(JOBS, JobsFile(jobs=self._jobs))

    def clear(self) -> None:
        """After recovery: nothing is in flight any more."""
        self.load()
        with self._lock:
            self._inflight.clear()
            self._jobs.clear()
            self._write(INFLIGHT, InflightFile(ticket_ids=[]))
            self._write(JOBS, JobsFile(jobs={}))
