"""The write journal: which tickets' writes were sent but not confirmed, and the helpdesk jobs
sent for them (``inflight.json``, ``jobs.json``).

``models.WriteJournal`` over two ledger files. ``begin`` is fsync'd before the write
goes out, so a kill -9 right after it is remembered; the next run settles those writes
(``Helpdesk.recover``) and then clears the journal. ``RunLedger`` composes one and hands out
its methods, so callers keep using the ledger as the journal.

A triage write begins with its decision (``PlannedWrite``: the run that made it and the
fields its ``ticket_triaged`` event would log), kept in ``inflight.json`` beside the ticket's
id until the write ends: a run killed after its write landed and before it logged it leaves
the next run what to record in its name (``run.discovery.record_landed``), so its log, the
audit store and ``revert --run`` hold every write it made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from .shapes import InflightFile, JobsFile

INFLIGHT = "inflight.json"
JOBS = "jobs.json"

Write = Callable[[str, BaseModel | Mapping[str, Any]], None]


@dataclass(frozen=True)
class PlannedWrite:
    """A triage decision whose write is in flight: the run that made it, when its write
    began (ISO, UTC; set by the journal), and its ``ticket_triaged`` fields."""

    run_id: str
    decision: Mapping[str, Any]
    began_at: str = ""


class WriteJournalFiles:
    """``models.WriteJournal`` on disk. Thread-safe; loaded once, on first use."""

    def __init__(self, read: Callable[[str, type[Any]], Any], write: Write) -> None:
        self._read = read
        self._write = write
        self._lock = threading.RLock()
        self._inflight: set[int] = set()
        self._jobs: dict[str, list[int]] = {}
        self._decisions: dict[int, PlannedWrite] = {}
        self._loaded = False

    def load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            inflight: InflightFile | None = self._read(INFLIGHT, InflightFile)
            jobs: JobsFile | None = self._read(JOBS, JobsFile)
            self._inflight = set(inflight.ticket_ids) if inflight else set()
            self._jobs = {k: list(v) for k, v in jobs.jobs.items()} if jobs else {}
            self._decisions = {
                int(k): PlannedWrite(v.run_id, dict(v.decision), v.began_at)
                for k, v in (inflight.decisions.items() if inflight else ())
                if int(k) in self._inflight
            }
            self._loaded = True

    def inflight(self) -> set[int]:
        self.load()
        with self._lock:
            return set(self._inflight)

    def jobs(self) -> dict[str, list[int]]:
        self.load()
        with self._lock:
            return {k: list(v) for k, v in self._jobs.items()}

    def decisions(self) -> dict[int, PlannedWrite]:
        """The triage decisions of the writes in flight, by ticket id."""
        self.load()
        with self._lock:
            return dict(self._decisions)

    def begin(
        self, ticket_ids: Sequence[int], decisions: Mapping[int, PlannedWrite] | None = None
    ) -> None:
        """Persist (fsync'd) before the write is sent, so a crash right after it is remembered;
        ``decisions``: what the triage writes among them were decided to be."""
        self.load()
        with self._lock:
            if set(ticket_ids) <= self._inflight and not decisions:
                return
            self._inflight |= set(ticket_ids)
            began = datetime.now(UTC).isoformat()
            for ticket_id, planned in (decisions or {}).items():
                if ticket_id in self._inflight:
                    self._decisions[ticket_id] = PlannedWrite(
                        planned.run_id, planned.decision, planned.began_at or began
                    )
            self._save_inflight()

    def _save_inflight(self) -> None:
        # A mapping, not the model: the decisions are written as they are, not validated again
        # at every batch (they are, when the file is read).
        self._write(
            INFLIGHT,
            {
                "ticket_ids": sorted(self._inflight),
                "decisions": {
                    str(k): {"run_id": v.run_id, "began_at": v.began_at, "decision": v.decision}
                    for k, v in sorted(self._decisions.items())
                },
            },
        )

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
                for ticket_id in ticket_ids:
                    self._decisions.pop(ticket_id, None)
                self._save_inflight()
            removed = [job_id for job_id in job_ids if self._jobs.pop(job_id, None) is not None]
            if removed:
                self._write(JOBS, JobsFile(jobs=self._jobs))

    def clear(self) -> None:
        """After recovery: nothing is in flight any more."""
        self.load()
        with self._lock:
            self._inflight.clear()
            self._jobs.clear()
            self._decisions.clear()
            self._write(INFLIGHT, InflightFile(ticket_ids=[]))
            self._write(JOBS, JobsFile(jobs={}))
