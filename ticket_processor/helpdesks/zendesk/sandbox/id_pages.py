"""Pages of the sandbox's tickets in id order, forwards and backwards, skipping deleted ids.

What the cursor-paginated ``GET /api/v2/tickets`` serves. Pure functions of the store's
tickets by id; ``store.TicketStore`` calls them under its lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Tickets = Mapping[int, dict[str, Any]]


def page_after(
    tickets: Tickets, last_id: int, after_id: int, size: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``size`` tickets with id > ``after_id`` in id order, and whether more follow."""
    out: list[dict[str, Any]] = []
    tid = after_id + 1
    while tid <= last_id and len(out) < size:
        ticket = tickets.get(tid)
        if ticket is not None:
            out.append(ticket)
        tid += 1
    more = any(i in tickets for i in range(tid, last_id + 1)) if out else False
    return out, more


def page_before(
    tickets: Tickets, next_id: int, before_id: int, size: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``size`` tickets with id < ``before_id`` in id order, and whether more precede."""
    out: list[dict[str, Any]] = []
    tid = min(before_id, next_id) - 1
    while tid >= 1 and len(out) < size:
        ticket = tickets.get(tid)
        if ticket is not None:
            out.append(ticket)
        tid -= 1
    more = any(i in tickets for i in range(tid, 0, -1)) if out else False
    out.reverse()
    return out, more
