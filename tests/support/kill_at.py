"""``ticketbot`` as its own process that SIGKILLs itself at one named point of the actions'
approval run, for the kill tests: a real kill -9 (no ``finally``, no flush, the OS drops the
locks) landed at a moment an outside observer cannot hit reliably.

    PYTHONPATH=.:tests python -m support.kill_at owed_written run --engine rules

The points wrap the approval pass's own calls (``ChangeStore``, ``Caller``); the I/O stays real:
the store's SQLite file, the shop's HTTP and the helpdesk's writes. ``POINTS`` lists them in
the order a change meets them.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from ticket_processor.actions.call import Caller
from ticket_processor.actions.owed import ChangeStore

POINTS = (
    "owed_written",  # the change recorded owed, its call not begun
    "before_first_byte",  # the call about to send its first byte
    "answered_unmarked",  # the shop answered (the refund made), the change still owed
    "done_before_note",  # the change recorded done, its note not begun
    "note_begun",  # the note's write recorded begun, the note not sent
    "note_unrecorded",  # the note on the ticket, not yet recorded written
)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    """Make this process die at ``point`` (the first change that meets it)."""
    settle = ChangeStore.settle
    noted = ChangeStore.noted
    call = Caller.call
    once = Caller._once

    def settle_then(self: ChangeStore, ticket_id: int, action: str, status: str, **kw: Any) -> None:
        settle(self, ticket_id, action, status, **kw)
        if (point, status) in (("owed_written", "owed"), ("done_before_note", "done")):
            die()

    def noted_around(
        self: ChangeStore, ticket_id: int, action: str, *, begun: bool = False
    ) -> None:
        if point == "note_unrecorded" and not begun:
            die()
        noted(self, ticket_id, action, begun=begun)
        if point == "note_begun" and begun:
            die()

    def call_then(self: Caller, *args: Any, **kw: Any) -> Any:
        result = call(self, *args, **kw)
        if point == "answered_unmarked" and kw.get("idempotency_key"):
            die()
        return result

    def once_after(self: Caller, method: str, *args: Any) -> Any:
        if point == "before_first_byte" and method != "GET":
            die()
        return once(self, method, *args)

    wrapped: dict[str, tuple[type, str, Callable[..., Any]]] = {
        "settle": (ChangeStore, "settle", settle_then),
        "noted": (ChangeStore, "noted", noted_around),
        "call": (Caller, "call", call_then),
        "_once": (Caller, "_once", once_after),
    }
    for owner, name, function in wrapped.values():
        setattr(owner, name, function)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in POINTS:
        sys.exit(f"usage: python -m support.kill_at {{{','.join(POINTS)}}} ticketbot-args...")
    arm(sys.argv[1])
    from ticket_processor.cli import console

    sys.argv = ["ticketbot", *sys.argv[2:]]
    console()
