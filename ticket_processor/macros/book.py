"""The macro book: what ``macros sync`` read, kept in the state directory for the runs after.

Two files, written in this order, each atomically: ``macros-vectors.npz`` (plain numpy
arrays, read with pickles refused: the solved tickets' vectors, then the macros' own) and
``macros.json`` (the macros, the solved tickets each row stands for — id, when it was solved,
the macro its reply used —, the time of the sync, the vectors file's SHA-256). No ticket's
text is kept: a vector is all the matching needs, and the state directory holds no customer's
words this way. A book whose two files disagree (a sync cut between them, a file edited by
hand, a reader between a later sync's two writes) is no book: the run suggests nothing and
says so, ``serve`` keeps the book it had, and the next sync writes both again.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..common.atomic import atomic_write_bytes, prepare_directory, read_state_bytes
from ..models.ready_reply import ReadyReply
from .files import BOOK_FILE, VECTORS_FILE
from .match import DEFAULT_TUNING, NONE, MacroMatcher, Tuning

VERSION = 1

FloatArray = npt.NDArray[np.float32]


class BookUnreadable(ValueError):
    """The book's files are missing a part, disagree, or are not what a sync writes."""


@dataclass(frozen=True)
class SolvedExample:
    """A solved ticket of the history: which macro its agent's reply used (None: none); the
    macro ticketbot tagged on it (``tagged``), and whether an agent said that did not help
    (the ticket's ``<prefix>feedback_not_helped`` tag; ``feedback.said_no`` counts them)."""

    ticket_id: int
    solved_at: float
    macro_id: int | None
    tagged: int | None = None
    not_helped: bool = False


@dataclass
class MacroBook:
    macros: list[ReadyReply]
    history: list[SolvedExample]
    history_vectors: FloatArray
    macro_vectors: FloatArray
    synced_at: float = field(default_factory=time.time)

    @property
    def matched(self) -> int:
        """The solved tickets answered with a macro: what the matching has learned from."""
        return sum(1 for e in self.history if e.macro_id is not None)

    def macro(self, macro_id: int) -> ReadyReply | None:
        return next((m for m in self.macros if m.id == macro_id), None)

    def labels(self, rows: list[int] | None = None) -> npt.NDArray[np.int64]:
        picked = self.history if rows is None else [self.history[i] for i in rows]
        return np.asarray([e.macro_id or NONE for e in picked], np.int64)

    def matcher(
        self, tuning: Tuning = DEFAULT_TUNING, rows: list[int] | None = None
    ) -> MacroMatcher:
        """The matcher on the whole history, or on its ``rows`` (the evaluation's past)."""
        vectors = self.history_vectors if rows is None else self.history_vectors[rows]
        return MacroMatcher(
            vectors, self.labels(rows), self.macro_vectors, [m.id for m in self.macros], tuning
        )

    def age(self, now: float) -> float:
        return max(now - self.synced_at, 0.0)


def save(book: MacroBook, state_dir: Path) -> None:
    prepare_directory(state_dir, "TICKETBOT_STATE_DIR")
    buffer = io.BytesIO()
    np.savez(buffer, history=book.history_vectors, macros=book.macro_vectors)
    vectors = buffer.getvalue()
    # The solved tickets' vectors: encrypted with a key (a vector can be read back towards its
    # text), opened whole for the matching.
    atomic_write_bytes(state_dir / VECTORS_FILE, vectors, seal=True)
    document = {
        "version": VERSION,
        # Which vectors file this book goes with: a reader between a later sync's two writes
        # (a long-lived ``serve``) finds the pair torn, even when the shapes agree.
        "vectors_sha256": hashlib.sha256(vectors).hexdigest(),
        "synced_at": book.synced_at,
        "macros": [asdict(m) for m in book.macros],
        "history": [asdict(e) for e in book.history],
    }
    atomic_write_bytes(state_dir / BOOK_FILE, json.dumps(document).encode())


def exists(state_dir: Path) -> bool:
    return (state_dir / BOOK_FILE).is_file()


def load(state_dir: Path) -> MacroBook:
    """The synced book; ``BookUnreadable`` (``FileNotFoundError`` with no sync yet)."""
    raw = read_state_bytes(state_dir / BOOK_FILE)
    try:
        document = json.loads(raw)
        if document.get("version") != VERSION:
            raise BookUnreadable(f"{BOOK_FILE} is of another version")
        macros = [ReadyReply(**m) for m in document["macros"]]
        history = [SolvedExample(**e) for e in document["history"]]
        synced_at = float(document["synced_at"])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BookUnreadable(f"{BOOK_FILE} is not what a sync writes ({exc})") from exc
    vectors = read_state_bytes(state_dir / VECTORS_FILE)
    expected = document.get("vectors_sha256")  # a book written before it was kept: none
    if expected is not None and hashlib.sha256(vectors).hexdigest() != expected:
        raise BookUnreadable(
            f"{BOOK_FILE} and {VECTORS_FILE} are of two syncs: run `ticketbot macros sync`"
        )
    with np.load(io.BytesIO(vectors), allow_pickle=False) as kept:
        history_vectors = np.asarray(kept["history"], np.float32)
        macro_vectors = np.asarray(kept["macros"], np.float32)
    shapes = (history_vectors.shape, macro_vectors.shape)
    if any(len(shape) != 2 for shape in shapes) or len({shape[1] for shape in shapes}) != 1:
        raise BookUnreadable(
            f"{VECTORS_FILE} is not what a sync writes: run `ticketbot macros sync`"
        )
    if len(history_vectors) != len(history) or len(macro_vectors) != len(macros):
        raise BookUnreadable(
            f"{BOOK_FILE} and {VECTORS_FILE} disagree: run `ticketbot macros sync`"
        )
    return MacroBook(macros, history, history_vectors, macro_vectors, synced_at)
