"""Keeping the sandbox's tickets in a file across restarts (``--state FILE``).

``Persister`` saves shortly after each change (debounced, so a burst of writes costs one save)
and once more on close; every save goes to a temp file in the same directory and is
``os.replace``d over the old one, so a crash never leaves a half-written state file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol

import orjson


class Persistable(Protocol):
    """A store ``Persister`` can save: both sandboxes' stores are."""

    @property
    def writes(self) -> int: ...

    def to_state(self) -> dict[str, Any]: ...

    def load_state(self, state: dict[str, Any]) -> None: ...


def save_state(store: Persistable, path: Path) -> None:
    """Write the store to ``path`` atomically (temp file in the same directory, then replace)."""
    data = orjson.dumps(store.to_state())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_state(store: Persistable, path: Path) -> bool:
    """Load ``path`` into the store if it exists; returns whether it did."""
    if not path.exists():
        return False
    state = orjson.loads(path.read_bytes())
    store.load_state(state)
    return True


class Persister:
    """Saves the store to its state file shortly after each change, and once more on close."""

    def __init__(self, store: Persistable, path: Path, interval: float = 0.2) -> None:
        self._store = store
        self._path = path
        self._interval = interval
        self._saved = store.writes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sandbox-persister", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        writes = self._store.writes
        if writes != self._saved:
            save_state(self._store, self._path)
            self._saved = writes

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.flush()
