"""The people index's step: each ticket a run reads is recorded as whose it is
(``people.PeopleIndex.record``), and after the run the index is saved and the forgotten tickets
are erased again from the caches the run (or a sync before it) rebuilt from the helpdesk."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..models import Helpdesk, Ticket
from ..passes.protocol import Pass, RunEnd, RunPass
from ..state.file_lock import updating
from ..steps.protocol import Step, StepRun
from ..triage.prepare import PreparedTicket
from . import people
from .traces import Where


class PeopleStep(Step):
    name = "people"

    def __init__(
        self,
        state_dir: Path,
        log_dir: Path,
        database: SecretStr | None = None,
        *,
        deletions_every: float = 0.0,
    ) -> None:
        self.deletions_every = deletions_every  # seconds between two reads of the deletions
        # The audit store where the run keeps it: a deletion followed forgets there too.
        url = database.get_secret_value() if database is not None else None
        self._where = Where(Path(state_dir), Path(log_dir), url or None)
        self._seen: list[people.Sighted] = []
        self._lock = threading.Lock()

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> Any:
        with self._lock:
            self._seen.append(people.Sighted.of(ticket, time.time()))
        return None

    def run_pass(self, run: StepRun) -> RunPass | None:
        return PeoplePass(self, run.helpdesk)

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        if run.writes:
            self.save(erase=False)  # serve's tickets are in the index before the next cron run

    @property
    def where(self) -> Where:
        return self._where

    def save(self, *, erase: bool = True) -> int:
        """Add what was seen to the index (under its lock: ``serve`` and a run both add), and
        erase the forgotten tickets again: how many of their entries a history cache held."""
        with self._lock:
            seen, self._seen = self._seen, []
        state_dir = self._where.state_dir
        with updating(people.index_path(state_dir)) as held:
            if not held:
                with self._lock:  # the other holder is slow: keep them for the next save
                    self._seen = seen + self._seen
                return 0
            index = people.load(state_dir)
            forgotten = index.forgotten_ids()
            for sighted in seen:
                if sighted.ticket_id not in forgotten:
                    index.record(sighted)
            if seen:
                index.prune(time.time() - people.KEEP_SECONDS)
                people.save(state_dir, index)
        if not (erase and forgotten):
            return 0
        from .forget import erase_forgotten  # the stores' modules load only after a forget

        return erase_forgotten(self._where, index)


class PeoplePass(Pass):
    name = "people"

    def __init__(self, step: PeopleStep, helpdesk: Helpdesk) -> None:
        self._step = step
        self._helpdesk = helpdesk

    def after(self, end: RunEnd) -> None:
        if not end.writes:
            return
        erased = self._step.save()
        if erased:
            end.log.emit("forgotten_erased_again", entries=erased)
        from .follow import follow_deletions  # the stores' modules load only when followed

        followed = follow_deletions(
            self._step.where,
            self._helpdesk,
            now=time.time(),
            every=self._step.deletions_every,
        )
        if followed.notes:
            end.log.emit(
                "helpdesk_deletions_partly_read", level="warning", notes=list(followed.notes)
            )
        if followed.error is not None:
            end.log.emit("helpdesk_deletions_unread", level="warning", error=followed.error)
        elif followed.tickets:
            end.log.emit(
                "helpdesk_deletions_forgotten",
                tickets=len(followed.tickets),
                requests=followed.requests,
            )
