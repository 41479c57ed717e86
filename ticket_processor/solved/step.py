"""The per-ticket step: each new ticket's similar solved tickets in its note.

On only where ``kb sync --solved`` filled a store (``solved.sqlite3`` in the state directory):
without one the run builds no step and imports none of this. The store is read, never written,
by a run, so a dry run reads it the same way.

One encoder pass a ticket: the step hands the encoder the ticket's prepared text in the form
every head reads it (subject, a line break, the body), so the encoder's memo returns the
vector the learned engine, the risk head or the help-centre ranking already made of it.

What the note showed is kept with the decision in the audit store (``similar_solved``: each
solved ticket's id and similarity, no text of it) and shown on the dashboard's ticket page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Ticket, Triage, WriteBack
from ..steps.protocol import Step
from ..steps.shown import Shown, ShownRow
from ..triage.prepare import PreparedTicket

if TYPE_CHECKING:  # numpy and the store load only where a store was synced
    import numpy as np
    import numpy.typing as npt

    from .store import SolvedStore

    Encode = Callable[[list[str]], npt.NDArray[np.float32]]

STORE_FILE = "solved.sqlite3"
# The audit field: the solved tickets the note showed, best first.
FIELD = "similar_solved"
SHOWN_NOTE = "Solved tickets like this one, most similar first, as the note lists them."


def store_path(state_dir: Path) -> Path:
    return state_dir / STORE_FILE


class SolvedStep(Step):
    """Similar solved tickets, and how each was solved, added to the ticket's note."""

    name = "solved"

    def __init__(self, store: SolvedStore, encode: Encode, *, shared_words: bool = False) -> None:
        self.store = store
        self._encode = encode
        # TICKETBOT_SOLVED_SHARED_WORDS: a solved ticket must also share the ticket's words
        self.shared_words = shared_words
        self._lock = threading.Lock()  # steps are called from the run's worker threads
        self._found: dict[int, list[dict[str, Any]]] = {}

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> Any:
        return f"{prepared.subject}\n{prepared.body}"

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        if not writeback.note or not isinstance(reading, str) or not self.store.available:
            return writeback
        import numpy as np

        from ..writeback.planner import with_section
        from .lookup import similar
        from .note import render_similar

        vector = np.asarray(self._encode([reading]), np.float32)[0]
        found = similar(
            self.store,
            vector,
            text=reading if self.shared_words else None,
            exclude={ticket.id},
        )
        if not found:
            return writeback
        kept = [{"id": f.ticket_id, "similarity": round(f.similarity, 4)} for f in found]
        with self._lock:
            self._found[ticket.id] = kept
        note = with_section(writeback.note, render_similar(found, language))
        return writeback.model_copy(update={"note": note})

    def audit_fields(self, ticket_id: int) -> Mapping[str, Any]:
        with self._lock:
            found = self._found.pop(ticket_id, None)
        return {FIELD: found} if found else {}

    def shown(self, fields: Mapping[str, Any]) -> Shown | None:
        """The ticket page's section: one solved ticket a row, most similar first."""
        found = fields.get(FIELD)
        if not isinstance(found, list) or not found:
            return None
        rows = tuple(
            ShownRow(f"#{f['id']}", str(f["id"]), f"similarity {float(f['similarity']):.2f}")
            for f in found
            if isinstance(f, Mapping) and "id" in f and "similarity" in f
        )
        if not rows:
            return None
        # Not a source for the report: a kind solved again and again wants an article.
        return Shown(self.name, "Similar solved tickets", SHOWN_NOTE, rows, source=False)

    def close(self) -> None:
        self.store.close()


def open_solved(
    path: Path, encode: Encode, current: object = None, *, shared_words: bool = False
) -> SolvedStep | None:
    """The step on the store at ``path``: ``current`` when it is a step on that same file
    (its connection sees every commit since), else a new one; None while the store holds
    nothing; ``ValueError`` when the file is not a store of this version."""
    if isinstance(current, SolvedStep) and current.store.is_file_now():
        return current
    from .store import SolvedStore

    store = SolvedStore(path, read_only=True)
    if not store.available:
        raise ValueError("not a solved-ticket store of this version: run `ticketbot kb sync`")
    if store.count() == 0:
        store.close()
        return None
    return SolvedStep(store, encode, shared_words=shared_words)


def solved_steps(state_dir: Path, *, shared_words: bool = False) -> list[SolvedStep]:
    """The step when a store was synced, else none (nothing opened, nothing loaded)."""
    path = store_path(state_dir)
    if not path.is_file():
        return []
    from ..learned.embed import Encoder

    try:
        step = open_solved(path, Encoder().encode, shared_words=shared_words)
    except ValueError:
        return []
    return [step] if step is not None else []
