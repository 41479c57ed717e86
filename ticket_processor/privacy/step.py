"""The people index's step: each ticket a run reads is recorded as whose it is
(``people.PeopleIndex.record``), and after the run the index is saved and the forgotten tickets
are erased again from the caches the run (or a sync before it) rebuilt from the helpdesk."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from ..models import Ticket
from ..passes.protocol import Pass, RunEnd, RunPass
from ..steps.protocol import Step, StepRun
from ..triage.prepare import PreparedTicket
from . import people
from .forget import erase_forgotten
from .traces import Where


class PeopleStep(Step):
    name = "people"

    def __init__(self, state_dir: Path, log_dir: Path) -> None:
        self._where = Where(Path(state_dir), Path(log_dir))
        self._seen: list[tuple[Ticket, float]] = []
        self._lock = threading.Lock()

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> Any:
        slim = ticket.model_copy(update={"description": "", "subject": ""})
        with self._lock:
            self._seen.append((slim, time.time()))
        return None

    def run_pass(self, run: StepRun) -> RunPass | None:
        return PeoplePass(self)

    def save(self) -> int:
        """Add what this run saw to the index, erase the forgotten tickets again: how many of
        their entries a history cache held."""
        with self._lock:
            seen, self._seen = self._seen, []
        index = people.load(self._where.state_dir)
        forgotten = index.forgotten_ids()
        for ticket, at in seen:
            if ticket.id not in forgotten:
                index.record(ticket, at)
        if seen or forgotten:
            people.save(self._where.state_dir, index)
        return erase_forgotten(self._where, index)


class PeoplePass(Pass):
    name = "people"

    def __init__(self, step: PeopleStep) -> None:
        self._step = step

    def after(self, end: RunEnd) -> None:
        if not end.writes:
            return
        erased = self._step.save()
        if erased:
            end.log.emit("forgotten_erased_again", entries=erased)
