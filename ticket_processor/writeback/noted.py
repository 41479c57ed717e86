"""A write's outcome with the id of the note it posted, where the helpdesk's answer names it.

``WriteOutcome`` (the helpdesk contract in ``models``) says what was written; an adapter that
learns the note's id from its answer (Freshdesk's ``POST /notes``) reports a ``NotedOutcome``
instead, and the run records the id in its ``ticket_triaged`` / ``reply_triaged`` event and so
in the audit store (``note_id``). Zendesk's batched path (``update_many`` jobs) returns no
comment ids: its outcomes stay plain, and the store's ``note_id`` stays empty for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import WriteOutcome


@dataclass(frozen=True)
class NotedOutcome(WriteOutcome):
    note_id: str | None = None


def note_id_of(outcome: WriteOutcome) -> str | None:
    """The note's id when the adapter reported it, else None."""
    return outcome.note_id if isinstance(outcome, NotedOutcome) else None
