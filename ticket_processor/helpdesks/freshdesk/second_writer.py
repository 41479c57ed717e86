"""Two ticketbot installations on one Freshdesk account: finding a note already posted, and
removing a second writer's copies.

Freshdesk has no conditional write, so two installations can both post a ticket's note before
either updates it. Once one sees the other (the marker appears on a ticket it is writing, or a
note it did not post), every note it posts is checked once, at the end of its batch, and all
copies but the first are deleted (``DELETE /conversations/{id}``). The adapter
(``adapter.py``) holds one ``SecondWriter`` and tells it what it posts and what it sees.
"""

from __future__ import annotations

import logging
import threading

from ...errors import AuthError, BreakerOpenError, HelpdeskError, NotFoundError
from ...writeback.note import answers_same_message, is_triage_note
from . import reads as freshdesk_reads
from .wire import FreshdeskTransport

log = logging.getLogger(__name__)


class SecondWriter:
    """The notes a run posted and whether another writer was seen; thread-safe."""

    def __init__(self, http: FreshdeskTransport) -> None:
        self.http = http
        self._lock = threading.Lock()
        self._posted: dict[int, str] = {}  # notes not checked yet for a second writer's copy
        self._guard = False  # a second writer seen: each note is checked after posting
        self.duplicates_removed = 0

    def posted(self, ticket_id: int, note: str) -> None:
        """A triage note this run posted: checked at the end of the batch once the guard is on."""
        with self._lock:
            self._posted[ticket_id] = note

    def has_note(self, ticket_id: int, note: str) -> bool:
        """Whether ``note`` is on the ticket: a triage note answering the same message, or
        (a revert's note, which has no such trailer) one opening with the same line."""
        found = [text for _, text in freshdesk_reads.private_notes(self.http, ticket_id)]
        if not is_triage_note(note):
            opening = note.strip().splitlines()[0] if note.strip() else ""
            return bool(opening) and any(opening in text for text in found)
        return any(answers_same_message(text, note) for text in found)

    def settle_notes(self, ticket_id: int, note: str) -> None:
        """Keep the earliest triage note answering ``note``'s message, delete the others.

        Freshdesk has no conditional write, so two installations on one account can both post
        before either updates. Whichever of them lists the notes removes every copy but the
        first (by conversation id): both choose the same one to keep, and a copy already
        deleted by the other answers 404, which is fine.
        """
        if not is_triage_note(note):
            return
        copies = sorted(
            note_id
            for note_id, text in freshdesk_reads.private_notes(self.http, ticket_id)
            if is_triage_note(text) and answers_same_message(text, note)
        )
        for note_id in copies[1:]:
            try:
                self.http.request("DELETE", f"/api/v2/conversations/{note_id}")
            except NotFoundError:
                continue  # the other installation removed it first
            with self._lock:
                self.duplicates_removed += 1

    def seen(self) -> None:
        """Another writer marks tickets this run is writing: from now on every note this run
        posted (those before included) is checked for a second copy once."""
        with self._lock:
            if self._guard:
                return
            self._guard = True
        log.warning(
            "another ticketbot writes to this Freshdesk account: checking each note for a "
            "second copy from now on (one more request a ticket)"
        )

    def settle_posted(self) -> None:
        """With the guard on, check the notes posted and not checked yet, at the end of a
        batch: later than right after posting, so the other installation's copy, posted from
        a read made just before ours landed, is there to be seen."""
        with self._lock:
            if not self._guard:
                return
            posted, self._posted = self._posted, {}
        for ticket_id, note in posted.items():
            try:
                self.settle_notes(ticket_id, note)
            except (AuthError, BreakerOpenError):
                raise
            except HelpdeskError:
                continue  # the next run's check, or a person, will see it
