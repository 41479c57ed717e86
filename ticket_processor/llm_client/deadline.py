"""The deadline of an LLM call, per calling thread: what every socket operation of the call
may still wait (``http.DeadlineStream`` for httpx's own transport, ``stdlib_http`` for ours)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def call_deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread finishes within ``seconds`` from now, in total."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


def budget(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to the time left before this thread's deadline; raise when none is left."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's deadline has passed")
    return left if timeout is None else min(timeout, left)
