"""A step on a file a sync rewrites, reopened when the file changes: for ``serve``.

A cron run builds its steps when it starts and ends minutes later, so it always reads the book
or store the latest sync wrote. ``serve`` builds them once and runs for weeks: without this, a
nightly sync (``kb sync``, or a feature's own) would reach it only at its next restart, and a
feature synced for the first time after it started would never appear. ``ReopeningStep`` stands in
the step list for such a feature's step: before a ticket is read, a batch of deliveries is
started or the triage API answers, it compares the file's identity (inode, size, modification
time: one ``stat``, no read) with the one it last opened, and only when it differs asks the
feature to open the step again.

Safe while a sync writes: the syncs replace their files atomically (a temp file renamed over
the old one) or commit SQLite transactions, so what is opened is a whole sync's or the last
commit's. A file that cannot be opened (damaged, half a pair) leaves the step as it was, said
once for that version of the file; the next version is tried again. A ticket keeps the step
it was read with until its write (its reading carries it), so a reopening between a ticket's
triage and its write never mixes two books. The step a reopening replaced is closed at the
next one, or when the server stops: a ticket under way may still be using it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import Ticket, Triage, WriteBack
from ..passes.protocol import RunPass
from ..passes.types import RunSummary
from ..triage.prepare import PreparedTicket
from .protocol import Price, ReplyView, Step, StepRun, TicketStep
from .shown import Shown

# The file's identity as ``stat`` gives it; None: no file.
Signature = tuple[int, int, int, int] | None
# Open the feature's step on the file as it is now, given the step open until now (None:
# none yet). None: no step (the file holds nothing yet); it may hand back ``current`` when
# that step already reads the new contents; it raises when the file cannot be used.
Opener = Callable[[TicketStep | None], TicketStep | None]


def signature(path: Path) -> Signature:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


def _silent(line: str) -> None:
    return None


@dataclass(frozen=True)
class _Pinned:
    """A ticket's reading with the step that made it: its judging and its write use that one."""

    step: TicketStep
    reading: Any


class ReopeningStep(Step):
    """The feature's step on ``path``, opened again by ``opener`` when the file changes."""

    def __init__(
        self,
        name: str,
        path: Path,
        opener: Opener,
        *,
        warn: Callable[[str], None],
        told: Callable[[str], None] = _silent,
    ) -> None:
        self.name = name
        self.path = path
        self._opener = opener
        self._warn = warn
        self._told = told
        self._lock = threading.Lock()
        self._current: TicketStep | None = None
        self._retired: TicketStep | None = None
        self._seen: Signature = None
        self.refresh()  # the step as the file is at start (none without a file)

    @property
    def current(self) -> TicketStep | None:
        return self._current

    def refresh(self) -> TicketStep | None:
        """The step on the file as it is now (reopened when it changed since last seen)."""
        found = signature(self.path)
        with self._lock:
            if found == self._seen or found is None:  # unchanged, or gone: keep what reads
                return self._current
            self._seen = found
            try:
                opened = self._opener(self._current)
            except Exception as exc:  # noqa: BLE001 - the step as it was still works
                self._warn(
                    f"{self.path.name} changed but could not be read ({exc}); "
                    "going on with it as it was"
                )
                return self._current
            if opened is not None and opened is not self._current:
                if self._retired is not None:
                    self._retired.close()
                self._retired, self._current = self._current, opened
                self._told(f"{self.path.name} reopened")
            return self._current

    # -- a ticket: read with the step as it is now, judged and written with that one ----------

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> Any:
        step = self.refresh()
        return None if step is None else _Pinned(step, step.read(ticket, prepared))

    def keep(self, reading: Any) -> Any:
        if isinstance(reading, _Pinned):
            return _Pinned(reading.step, reading.step.keep(reading.reading))
        return reading

    def judge(
        self, ticket: Ticket, prepared: PreparedTicket, reading: Any, triage: Triage
    ) -> Triage:
        if isinstance(reading, _Pinned):
            return reading.step.judge(ticket, prepared, reading.reading, triage)
        return triage

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        if isinstance(reading, _Pinned):
            return reading.step.attach(
                ticket, triage, writeback, reading.reading, replanned=replanned, language=language
            )
        return writeback

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        """The fields of whichever step judged the ticket (the one open now, or the one it
        replaced)."""
        with self._lock:
            steps = [s for s in (self._current, self._retired) if s is not None]
        for step in steps:
            fields = step.audit_fields(ticket_id)
            if fields:
                return fields
        return {}

    # -- everything else: the step open now ---------------------------------------------------

    def api_fields(self, prepared: PreparedTicket, triage: Triage) -> Mapping[str, Any]:
        step = self.refresh()
        return {} if step is None else step.api_fields(prepared, triage)

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        step = self._current
        return None if step is None else step.shown(fields)

    def holds_reply(self, ticket: Ticket, kind: str) -> bool:
        step = self._current
        return step is not None and step.holds_reply(ticket, kind)

    def first_message_stands(self, ticket: Ticket) -> bool:
        step = self._current
        return step is None or step.first_message_stands(ticket)

    def judge_reply(self, reply: ReplyView, triage: Triage) -> Triage | None:
        step = self._current
        return triage if step is None else step.judge_reply(reply, triage)

    def attach_reply(
        self, ticket: Ticket, triage: Triage | None, writeback: WriteBack
    ) -> WriteBack:
        step = self._current
        return writeback if step is None else step.attach_reply(ticket, triage, writeback)

    def on_reply(self, ticket: Ticket, kind: str) -> None:
        if self._current is not None:
            self._current.on_reply(ticket, kind)

    def after_writes(self, should_stop: Callable[[], str | None]) -> None:
        if self._current is not None:
            self._current.after_writes(should_stop)

    def totals(self, summary: RunSummary, price: Price) -> None:
        if self._current is not None:
            self._current.totals(summary, price)

    def run_pass(self, run: StepRun) -> RunPass | None:
        return None if self._current is None else self._current.run_pass(run)

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        step = self.refresh()
        if step is not None:
            step.served(run, ticket_ids)

    def close(self) -> None:
        with self._lock:
            steps = [s for s in (self._current, self._retired) if s is not None]
            self._current = self._retired = None
        for step in steps:
            step.close()
