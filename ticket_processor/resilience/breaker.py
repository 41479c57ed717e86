"""Circuit breakers: one per dependency, persisted so an open breaker survives into the next run.

``CircuitBreaker``: closed -> open after ``threshold`` consecutive dependency failures ->
half-open after ``reset_after`` seconds -> one trial call -> closed or open again. Its state goes
through a ``BreakerStorage`` on every change. The clock is injected; nothing here sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

from ..errors import BreakerOpenError

BreakerState = Literal["closed", "open", "half_open"]


class BreakerStorage(Protocol):
    """Where a breaker keeps its state between runs (``state.StateStore.breaker_storage()``)."""

    def load(self, name: str) -> dict[str, Any] | None: ...

    def save(self, name: str, data: dict[str, Any]) -> None: ...


class MemoryBreakerStorage:
    """Breaker state in a dict: for tests and for runs without a state directory."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def load(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self.data.get(name)
            return dict(found) if found is not None else None

    def save(self, name: str, data: dict[str, Any]) -> None:
        with self._lock:
            self.data[name] = dict(data)


class CircuitBreaker:
    """A breaker per dependency (``"zendesk"``, ``"llm"``), thread-safe, persisted on change.

    Persisted form: ``{"state": "closed"|"open", "failures": int, "opened_at": float|None,
    "cause": str|None}``; ``cause`` is the last failure's message, so a refused call says why the
    breaker opened (an unreachable URL, say) and how to fix that, not only that it is open.
    ``half_open`` is not stored: it is "open, and ``reset_after`` has passed", so a breaker
    opened by the last cron run is half-open for this one once its time is up. The clock must
    be wall-clock time (the default ``time.time``) because the state crosses processes.
    """

    def __init__(
        self,
        name: str,
        *,
        threshold: int = 5,
        reset_after: float = 60.0,
        clock: Callable[[], float] = time.time,
        storage: BreakerStorage | None = None,
        on_open: Callable[[str], None] | None = None,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.name = name
        self.threshold = threshold
        self.reset_after = reset_after
        self._clock = clock
        self._storage = storage if storage is not None else MemoryBreakerStorage()
        self._on_open = on_open
        self._lock = threading.Lock()
        self._open = False
        self._failures = 0
        self._opened_at = 0.0
        self._cause: BaseException | str | None = None
        # When the current half-open trial started; None = no trial in flight.
        self._trial_started: float | None = None
        self._restore(self._storage.load(name))

    def _restore(self, data: dict[str, Any] | None) -> None:
        # Storage is a file a person might edit or a crash might truncate: anything odd is "closed".
        if not isinstance(data, dict):
            return
        failures = data.get("failures")
        opened_at = data.get("opened_at")
        if isinstance(failures, int) and not isinstance(failures, bool) and failures >= 0:
            self._failures = failures
        if data.get("state") == "open" and isinstance(opened_at, int | float):
            self._open = True
            self._opened_at = float(opened_at)
        cause = data.get("cause")
        self._cause = cause if isinstance(cause, str) and cause else None

    def _save(self) -> None:
        self._storage.save(
            self.name,
            {
                "state": "open" if self._open else "closed",
                "failures": self._failures,
                "opened_at": self._opened_at if self._open else None,
                "cause": None if self._cause is None else str(self._cause) or None,
            },
        )

    def _elapsed(self) -> float:
        now = self._clock()
        if now < self._opened_at:
            # The clock went back (NTP, a VM restored): re-anchor rather than stay open for hours.
            self._opened_at = now
        return now - self._opened_at

    def _state(self) -> BreakerState:
        if not self._open:
            return "closed"
        return "half_open" if self._elapsed() >= self.reset_after else "open"

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    @property
    def failures(self) -> int:
        """Consecutive dependency failures counted so far."""
        with self._lock:
            return self._failures

    def retry_after(self) -> float:
        """Seconds until an open breaker turns half-open (0 when it is not open)."""
        with self._lock:
            if self._state() != "open":
                return 0.0
            return max(0.0, self.reset_after - self._elapsed())

    def before_call(self) -> None:
        """Let the call through, or raise ``BreakerOpenError`` with the seconds left."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return
            if state == "open":
                raise BreakerOpenError(
                    self.name,
                    retry_after=max(0.0, self.reset_after - self._elapsed()),
                    cause=self._cause,
                )
            now = self._clock()
            # One trial at a time. A trial whose caller vanished without reporting back
            # (a thread killed mid-call) frees the slot after another reset_after.
            if self._trial_started is not None and now - self._trial_started < self.reset_after:
                raise BreakerOpenError(self.name, retry_after=0.0, cause=self._cause)
            self._trial_started = now

    def record_success(self) -> None:
        with self._lock:
            changed = self._open or self._failures != 0
            self._open = False
            self._failures = 0
            self._cause = None
            self._trial_started = None
            if changed:
                self._save()

    def record_failure(self, cause: BaseException | str | None = None) -> None:
        """Count a dependency failure; ``cause`` (the exception, whose message says how to fix
        it) is kept for the refusals while the breaker is open, and saved as its message."""
        with self._lock:
            was_open = self._open
            self._failures += 1
            if cause:
                self._cause = cause
            self._trial_started = None
            if was_open:
                # A failed half-open trial (or a late failure while open) restarts the wait.
                self._opened_at = self._clock()
            elif self._failures >= self.threshold:
                self._open = True
                self._opened_at = self._clock()
            self._save()
            just_opened = self._open and not was_open
        if just_opened and self._on_open is not None:
            self._on_open(self.name)

    def record_neutral(self) -> None:
        """The call ended without saying anything about the dependency's health (a 429, a 4xx,
        a bug on our side): free the half-open trial slot, change nothing else."""
        with self._lock:
            self._trial_started = None
