"""glibc's malloc, set up before the worker threads start: few arenas, big buffers mapped.

Two habits of glibc's malloc turn into resident memory no Python object accounts for when
64-256 workers wait on the LLM at once:

- **Arenas.** glibc gives threads their own malloc arenas, up to 8 per core, each holding on
  to the memory freed in it. ``mallopt(M_ARENA_MAX)`` caps them as ``MALLOC_ARENA_MAX=2``
  would; it takes effect for arenas not yet created, i.e. before the threads.
- **The sliding mmap threshold.** Every worker blocked in a read of its LLM answer holds a
  64 KiB receive buffer (httpcore reads 64 KiB at a time; CPython allocates the whole buffer
  before ``recv`` and shrinks it after). By default glibc serves blocks of 128 KiB and more
  with ``mmap`` and raises that threshold each time such a block is freed, so these buffers
  come from the heap, and the small answers left behind where they were shrunk keep the heap
  from shrinking: at 256 workers, 110 MB of the heap's 170 MB were free but resident
  (``mallinfo2``). A fixed threshold of 64 KiB serves them with ``mmap`` and returns them to
  the system when freed: at 256 workers, 206 MB -> 143 MB peak RSS of ``scripts/bench.py``
  when it was measured (2026-11-24).
  Fixing the threshold also stops glibc from sliding it.

Each setting is applied only when the operator has not set it, by its old variable
(``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``) or as a tunable in ``GLIBC_TUNABLES``
(``glibc.malloc.arena_max``, ``glibc.malloc.mmap_threshold``): their setting wins. Elsewhere
than glibc (musl, macOS) nothing is changed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Mapping

# glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8

DEFAULT_ARENAS = 2
DEFAULT_MMAP_THRESHOLD = 64 * 1024


def _glibc_mallopt() -> Callable[[int, int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    if not hasattr(libc, "gnu_get_libc_version"):
        return None  # not glibc: these parameters mean nothing there

    def call(param: int, value: int) -> int:
        return int(mallopt(ctypes.c_int(param), ctypes.c_int(value)))

    return call


def tune_malloc(
    environ: Mapping[str, str],
    *,
    arenas: int = DEFAULT_ARENAS,
    mmap_threshold: int = DEFAULT_MMAP_THRESHOLD,
) -> list[str]:
    """Apply the settings above where the environment does not set them; the ones applied."""
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return []
    tunables = environ.get("GLIBC_TUNABLES", "")

    def operator_set(variable: str, tunable: str) -> bool:
        return variable in environ or f"glibc.malloc.{tunable}=" in tunables

    applied = []
    if not operator_set("MALLOC_ARENA_MAX", "arena_max") and mallopt(M_ARENA_MAX, arenas):
        applied.append(f"M_ARENA_MAX={arenas}")
    if not operator_set("MALLOC_MMAP_THRESHOLD_", "mmap_threshold") and mallopt(
        M_MMAP_THRESHOLD, mmap_threshold
    ):
        applied.append(f"M_MMAP_THRESHOLD={mmap_threshold}")
    return applied
