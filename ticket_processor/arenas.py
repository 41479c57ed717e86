"""glibc's malloc arenas, capped before the worker threads start.

glibc gives threads their own malloc arenas, up to 8 per core, each holding on to the memory
freed in it: with 64-256 workers that is resident memory no Python object accounts for.
``limit_arenas`` caps them the way ``MALLOC_ARENA_MAX=2`` would, but from inside the process
(``mallopt(M_ARENA_MAX)``, which takes effect for arenas not yet created, i.e. before the
threads), and only when the variable is unset: an operator's own setting wins. Elsewhere than
glibc (musl, macOS) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Mapping

M_ARENA_MAX = -8  # glibc's malloc.h
DEFAULT_ARENAS = 2


def limit_arenas(environ: Mapping[str, str], arenas: int = DEFAULT_ARENAS) -> bool:
    """Cap glibc's malloc arenas unless ``MALLOC_ARENA_MAX`` is set; True when capped."""
    if "MALLOC_ARENA_MAX" in environ:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    if not hasattr(libc, "gnu_get_libc_version"):
        return False  # not glibc: M_ARENA_MAX means nothing there
    return bool(mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(arenas)))
