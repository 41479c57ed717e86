"""The cursor only moves past pages whose every ticket is settled."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from ticket_processor.models import Cursor
from ticket_processor.state.checkpoint import Checkpoint


def c(n: int) -> Cursor:
    """The export cursor after page ``n`` (as ``models.Cursor`` values, opaque to
    the core)."""
    return Cursor("incremental", f"c{n}", 1_700_000_000)


def test_cursor_waits_for_every_ticket_of_earlier_pages() -> None:
    cp = Checkpoint()
    cp.open_page(c(1))
    cp.take(1)
    cp.take(2)
    cp.close_page()
    cp.open_page(c(2))
    cp.take(3)
    cp.close_page()
    cp.settle(3)  # page 2 done, page 1 not: nothing may be saved yet
    assert cp.safe_cursor is None
    cp.settle(1)
    assert cp.safe_cursor is None
    cp.settle(2)
    assert cp.safe_cursor == c(2)
    assert cp.unsettled == 0


def test_abandoned_page_never_settles() -> None:
    cp = Checkpoint()
    cp.open_page(c(1))
    cp.take(1)
    cp.close_page()
    cp.settle(1)
    cp.open_page(c(2))
    cp.take(2)
    cp.close_page(complete=False)  # --limit stopped half-way through this page
    cp.settle(2)
    assert cp.safe_cursor == c(1)


def test_empty_page_and_pages_without_cursor() -> None:
    cp = Checkpoint()
    cp.open_page(None)  # e.g. the retry queue: no cursor of its own
    cp.close_page()
    assert cp.safe_cursor is None
    cp.open_page(c(1))
    cp.close_page()
    assert cp.safe_cursor == c(1)


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=8), st.randoms())
def test_safe_cursor_never_passes_an_unsettled_ticket(sizes: list[int], rnd: random.Random) -> None:
    cp = Checkpoint()
    ticket_page: dict[int, int] = {}
    next_id = 0
    for index, size in enumerate(sizes):
        cp.open_page(c(index))
        for _ in range(size):
            cp.take(next_id)
            ticket_page[next_id] = index
            next_id += 1
        cp.close_page()
    order = list(ticket_page)
    rnd.shuffle(order)
    settled: set[int] = set()
    for ticket in order:
        cp.settle(ticket)
        settled.add(ticket)
        safe = cp.safe_cursor
        if safe is not None:
            assert safe.value is not None
            upto = int(safe.value[1:])
            assert all(t in settled for t, page in ticket_page.items() if page <= upto)
    assert cp.safe_cursor == c(len(sizes) - 1)


def test_an_abandoned_ticket_holds_the_cursor_before_its_page() -> None:
    cp = Checkpoint()
    cp.open_page(c(1))
    cp.take(1)
    cp.close_page()
    cp.open_page(c(2))
    cp.take(2)
    cp.take(3)
    cp.close_page()
    cp.settle(1)
    cp.abandon(2)  # --max-runtime passed before a worker reached it
    cp.settle(3)
    assert cp.safe_cursor == c(1)
    assert cp.unsettled == 0
