"""Tinydesk as a test desk (``sandbox/desks.Desk``): what the shared contract tests drive. Only
the calls those tests make; the fault injection the crash tests use is not offered."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ticket_processor.sandbox.desks import NewTicket, Snapshot

from .store import STORES, Store, store

_NAMES = itertools.count(1)


class TinyDesk:
    kind = "tinydesk"
    invalid_word = "invalid"

    def __init__(self, name: str) -> None:
        self.name = name
        self.store: Store = store(name)

    @property
    def ops(self) -> dict[str, str]:
        return {}

    @property
    def sandbox(self) -> Any:
        return self.store

    @property
    def url(self) -> str:
        return f"http://tinydesk.invalid/{self.name}"

    def env(self) -> dict[str, str]:
        return {"TICKETBOT_HELPDESK": "tinydesk", "TINYDESK_STORE": self.name}

    def create(self, tickets: list[NewTicket]) -> list[int]:
        return [self.store.create(t.subject, t.body, t.tags) for t in tickets]

    def snapshot(self, ticket_id: int) -> Snapshot:
        record = self.store.get(ticket_id)
        assert record is not None
        return Snapshot(sorted(record["tags"]), record["priority"], list(record["notes"]))

    def ids(self) -> list[int]:
        return self.store.ids()

    def stats(self) -> dict[str, Any]:
        return {"requests": self.store.requests}


@contextmanager
def serve(
    *,
    seed: int | None = 5,
    unlimited: bool = False,
    job_delay_ms: float = 0,
    clock: Callable[[], float] = time.time,
) -> Iterator[TinyDesk]:
    """A fresh, empty store under a name of its own, dropped after."""
    name = f"desk-{next(_NAMES)}"
    try:
        yield TinyDesk(name)
    finally:
        STORES.pop(name, None)
