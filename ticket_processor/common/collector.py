"""The cyclic garbage collector, paused while a command starts (``paused``).

Starting ``ticketbot run`` imports some five hundred modules and builds the run's parts: a few
hundred thousand objects that live as long as the process, and hardly any garbage. The
collector runs each time 700 more objects were made than freed, and every so often walks all
of them, to find nothing: close to a tenth of the CPU of a run that finds no ticket. Paused
over such a stretch and started again after it, it then collects whatever the command does as
it always has; the objects made meanwhile are walked at its next full pass (the run's own
``gc.freeze`` takes them out of those passes once its parts are built).

A run then makes and frees a few hundred objects a ticket, nearly all freed by their reference
count; at the default young-generation threshold (700) the collector walks the survivors some
370 times for 2,000 tickets, and each tenth pass the older generation too: 0.2-0.3 s of a
run's CPU, finding a few thousand objects in all. ``widened`` makes that one pass every
``RUN_YOUNG_THRESHOLD`` objects for the run (9 passes for 2,000 tickets); garbage in a cycle
waits longer to be found, at most that many objects' worth.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# Young objects the collector lets pile up before a pass, while a run works through its tickets.
RUN_YOUNG_THRESHOLD = 20_000


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


def widened(young: int = RUN_YOUNG_THRESHOLD) -> tuple[int, int, int]:
    """Collect the youngest generation every ``young`` objects (never more often than before);
    returns the thresholds that were set, for ``gc.set_threshold`` to put back."""
    previous = gc.get_threshold()
    gc.set_threshold(max(young, previous[0]), *previous[1:])
    return previous
