"""The analysis cache: content hash -> analysis, across runs, least recently used out first.

Held in memory during a run and written with ``flush`` through the ledger (atomic; a dry run's
read-only ledger writes nothing). The file is validated like every ledger file: a damaged one is
set aside and reported, and the cache starts empty — it is only a cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

import orjson

from .shapes import CacheFile


def _packed(value: dict[str, Any]) -> bytes:
    """An entry as compact JSON, the way it is held in memory: ~0.5 KB against ~1.7 KB as a
    dict (5,000 entries: ~3 MB instead of ~9-14 MB of a run's peak). Copied out of orjson's
    result, which keeps a 4 KB allocation however short the JSON."""
    return memoryview(orjson.dumps(value)).tobytes()


class CacheStore(Protocol):
    """Where the cache's file lives: the ``RunLedger`` (typed, atomic, set aside when damaged)."""

    def read_cache(self) -> CacheFile | None: ...

    def write_cache(self, payload: Mapping[str, Any]) -> None: ...


class AnalysisCache:
    """Thread-safe LRU of analyses keyed by content hash (plus models and taxonomy); it keeps
    the ``max_entries`` most recently used (``TICKETBOT_CACHE_ENTRIES``; its default says why)."""

    def __init__(self, store: CacheStore | None = None, *, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._store = store
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._dirty = False
        found = store.read_cache() if store is not None else None
        if found is not None:
            # The newest entries are last in the file: keep those.
            keep = list(found.entries.items())[-self.max_entries :]
            del found
            for key, value in keep:
                self._entries[key] = _packed(value)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            packed = self._entries.get(key)
            if packed is None:
                return None
            self._entries.move_to_end(key)
        value: dict[str, Any] = orjson.loads(packed)
        return value

    def put(self, key: str, value: dict[str, Any]) -> None:
        packed = _packed(value)
        with self._lock:
            self._entries[key] = packed
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            self._dirty = True

    def flush(self) -> None:
        if self._store is None:
            return
        with self._lock:
            if not self._dirty:
                return
            # orjson keeps a dict's storage order, which move_to_end does not change: copy in
            # recency order so the file keeps the LRU order.
            entries = {key: orjson.Fragment(packed) for key, packed in self._entries.items()}
            payload = {"version": 1, "entries": entries}
            self._dirty = False
        try:
            self._store.write_cache(payload)
        except BaseException:
            with self._lock:
                self._dirty = True
            raise

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries
