"""The macros' history of solved tickets (``macros.json`` and its vectors) for ``privacy
export`` and ``privacy forget``: which of it belongs to some tickets, and erasing it."""

from __future__ import annotations

from pathlib import Path


def history_rows(state_dir: Path, tickets: frozenset[int], *, erase: bool) -> int:
    """How many of the history's solved tickets are among ``tickets``; with ``erase`` they
    (and their vectors) are dropped and the book saved."""
    import numpy as np

    from .book import load, save

    book = load(state_dir)
    rows = [i for i, e in enumerate(book.history) if e.ticket_id in tickets]
    if rows and erase:
        keep = np.ones(len(book.history), np.bool_)
        keep[rows] = False
        book.history = [e for i, e in enumerate(book.history) if keep[i]]
        book.history_vectors = book.history_vectors[keep]
        save(book, state_dir)
    return len(rows)
