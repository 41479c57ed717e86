"""Tinydesk's tickets: in memory, one store per name (``TINYDESK_STORE``), so the run, the
server and the test that reads them back share them within one process. Thread-safe."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

STORES: dict[str, Store] = {}


@dataclass
class Record:
    id: int
    subject: str
    description: str
    requester_id: int
    tags: list[str] = field(default_factory=list)
    priority: str | None = None
    status: str = "open"
    group_id: int | None = None
    notes: list[str] = field(default_factory=list)
    seq: int = 0  # the store's change counter when it last changed
    updated_at: str = ""


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[int, Record] = {}
        self._seq = 0
        self.requests = 0  # every read or write through the adapter

    def _touch(self, record: Record) -> None:
        self._seq += 1
        record.seq = self._seq
        moment = datetime.fromtimestamp(time.time(), UTC)
        record.updated_at = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def create(self, subject: str, description: str, tags: tuple[str, ...] = ()) -> int:
        with self._lock:
            ticket_id = len(self._records) + 1
            record = Record(ticket_id, subject, description, 1000 + ticket_id, list(tags))
            self._touch(record)
            self._records[ticket_id] = record
            return ticket_id

    def get(self, ticket_id: int) -> dict[str, Any] | None:
        with self._lock:
            self.requests += 1
            record = self._records.get(ticket_id)
            return None if record is None else dict(record.__dict__, tags=list(record.tags))

    def changed_after(self, seq: int) -> list[dict[str, Any]]:
        with self._lock:
            self.requests += 1
            found = [r for r in self._records.values() if r.seq > seq]
            return [dict(r.__dict__, tags=list(r.tags)) for r in sorted(found, key=lambda r: r.seq)]

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq

    def update(self, ticket_id: int, **values: Any) -> dict[str, Any]:
        with self._lock:
            self.requests += 1
            record = self._records[ticket_id]
            note = values.pop("note", None)
            if note:
                record.notes.append(note)
            for name, value in values.items():
                setattr(record, name, value)
            self._touch(record)
            return dict(record.__dict__, tags=list(record.tags))

    def ids(self) -> list[int]:
        with self._lock:
            return sorted(self._records)


def store(name: str) -> Store:
    """The store called ``name``, made on first use."""
    return STORES.setdefault(name, Store())
