"""Background jobs (``create_many``, ``update_many``) and their Zendesk job statuses.

A job is queued, then a worker thread runs it after ``job_delay_ms`` (and not while a config's
``hold_jobs`` is on) and records per-ticket results.
At most ``max_queued_jobs`` may be queued or working; beyond that Zendesk answers 429.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from .httpbase import ApiError, not_found


class JobKnobs(Protocol):
    """The knobs the queue reads on every job (both sandboxes' configs have them)."""

    max_queued_jobs: int
    job_delay_ms: float


_KEEP = 10_000  # finished jobs remembered (Zendesk keeps them a day)


class JobQueue:
    """Job statuses by id plus one worker thread that runs them in order."""

    def __init__(self, config: JobKnobs, base_url: Callable[[], str]) -> None:
        self._config = config
        self._base_url = base_url
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._pending = 0
        self.submitted = 0
        self.items = 0  # what the submitted jobs carry (tickets), all told
        self._work: queue.Queue[tuple[str, float, Callable[[], list[dict[str, Any]]]] | None]
        self._work = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-jobs", daemon=True)
        self._thread.start()

    def submit(
        self, job_type: str, total: int, work: Callable[[], list[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Queue ``work``; returns the queued job status (429 when too many are pending)."""
        job_id = uuid.uuid4().hex
        with self._lock:
            if self._pending >= self._config.max_queued_jobs:
                raise ApiError(
                    429,
                    {
                        "error": "TooManyJobs",
                        "description": "Number of allowed queued jobs exceeded, "
                        "please try again later",
                    },
                    {"Retry-After": "1"},
                )
            self._pending += 1
            self.submitted += 1
            self.items += total
            job = {
                "id": job_id,
                "url": f"{self._base_url()}/api/v2/job_statuses/{job_id}.json",
                "job_type": job_type,
                "total": total,
                "progress": None,
                "status": "queued",
                "message": None,
                "results": None,
            }
            self._jobs[job_id] = job
            while len(self._jobs) > _KEEP:
                self._jobs.popitem(last=False)
        due = time.monotonic() + self._config.job_delay_ms / 1000.0
        self._work.put((job_id, due, work))
        return dict(job)

    def get(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise not_found()
            return dict(job)

    def pending(self) -> int:
        with self._lock:
            return self._pending

    def _set(self, job_id: str, **fields: Any) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = {**job, **fields}

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            job_id, due, work = item
            wait = due - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return
            while getattr(self._config, "hold_jobs", False):  # a Zendesk sandbox's knob
                if self._stop.wait(0.02):
                    return
            self._set(job_id, status="working", progress=0)
            try:
                results = work()
            except Exception as exc:  # noqa: BLE001 - a crashed job is reported, not raised
                self._set(job_id, status="failed", message=f"Failed: {exc}", results=[])
            else:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime())
                self._set(
                    job_id,
                    status="completed",
                    progress=len(results),
                    message=f"Completed at {stamp}",
                    results=results,
                )
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        self._stop.set()
        self._work.put(None)
        self._thread.join(timeout=5)
