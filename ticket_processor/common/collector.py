"""The cyclic garbage collector, paused while a command starts (``paused``).

Starting ``ticketbot run`` imports some five hundred modules and builds the run's parts: a few
hundred thousand objects that live as long as the process, and hardly any garbage. The
collector runs each time 700 more objects were made than freed, and every so often walks all
of them, to find nothing: close to a tenth of the CPU of a run that finds no ticket. Paused
over such a stretch and started again after it, it then collects whatever the command does as
it always has; the objects made meanwhile are walked at its next full pass (the run's own
``gc.freeze`` takes them out of those passes once its parts are built).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block, on again after it if it was on before (a block
    inside another, or in another thread meanwhile, leaves it to the outer one)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
