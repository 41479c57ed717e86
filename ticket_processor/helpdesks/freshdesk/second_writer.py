"""Two ticketbot installations on one Freshdesk account: finding a note already posted, and
removing a second writer's copies.

Freshdesk has no conditional write, so two installations can both post a ticket's note before
either updates it. Once one sees the other (the marker appears on a ticket it is writing, a note
it did not post, or a second copy of the last note of a batch), every note it posts is checked
once, at the end of its batch, and all copies but the first are deleted
(``DELETE /conversations/{id}``). The adapter (``adapter.py``) holds one ``SecondWriter`` and
tells it what it posts and what it sees.

Two installations in step (the same tickets read at the same moment, as two schedules that fire
together do) never see each other's marker: each reads every ticket before the other updates it.
So at the end of a run's first batch, and of every 50th after it, the last note posted is looked
at (one request a run, and one more each 500 tickets or so): whichever installation posted that
ticket's note later finds both copies, and since both write a batch's tickets in order, every
other copy is on the tickets by then. Two schedules that fire together are in step from their
first batch; two that fall into step later in a long backfill are found within 50 batches.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from ...errors import AuthError, BreakerOpenError, HelpdeskError, NotFoundError
from ...writeback.note import answers_same_message, is_triage_note
from . import reads as freshdesk_reads
from .wire import FreshdeskTransport

log = logging.getLogger(__name__)

# The notes kept for a later check while no second writer is seen: enough for the batches the
# other installation may lag behind by, bounded so a long backfill does not hold every note.
KEPT_UNCHECKED = 2_000
# With no second writer seen, a batch's last note is looked at after the first batch and then
# every this many batches (one request each).
LOOK_EVERY_BATCHES = 50


class SecondWriter:
    """The notes a run posted and whether another writer was seen; thread-safe."""

    def __init__(self, http: FreshdeskTransport) -> None:
        self.http = http
        self._lock = threading.Lock()
        # notes not checked yet for a second writer's copy, oldest first
        self._posted: OrderedDict[int, str] = OrderedDict()
        self._last: tuple[int, str] | None = None  # the batch's last note, maybe looked at
        self._batches_since_look: int | None = None  # None: no batch with a note looked at yet
        self._guard = False  # a second writer seen: each note is checked after posting
        self.duplicates_removed = 0

    def posted(self, ticket_id: int, note: str) -> None:
        """A triage note this run posted: checked at the end of the batch once the guard is on."""
        with self._lock:
            self._posted[ticket_id] = note
            self._posted.move_to_end(ticket_id)
            while len(self._posted) > KEPT_UNCHECKED:
                self._posted.popitem(last=False)
            self._last = (ticket_id, note)

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
        for note_id in self._copies(ticket_id, note)[1:]:
            try:
                self.http.request("DELETE", f"/api/v2/conversations/{note_id}")
            except NotFoundError:
                continue  # the other installation removed it first
            with self._lock:
                self.duplicates_removed += 1

    def _copies(self, ticket_id: int, note: str) -> list[int]:
        """The ids of the ticket's triage notes answering ``note``'s message, oldest first."""
        return sorted(
            note_id
            for note_id, text in freshdesk_reads.private_notes(self.http, ticket_id)
            if is_triage_note(text) and answers_same_message(text, note)
        )

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
        """At the end of a batch: with no second writer seen yet, look at the batch's last note
        for a copy on the first batch and every ``LOOK_EVERY_BATCHES`` (see the module's
        docstring); with one seen, check the notes posted and not checked yet, later than right
        after posting, so the other installation's copy, posted from a read made just before
        ours landed, is there to be seen."""
        with self._lock:
            last, self._last = self._last, None
            guard = self._guard
            since = self._batches_since_look
            look = last is not None and (since is None or since + 1 >= LOOK_EVERY_BATCHES)
            if last is not None:
                self._batches_since_look = 0 if look else (since or 0) + 1
        if not guard and look and last is not None:
            try:
                doubled = len(self._copies(*last)) > 1
            except (AuthError, BreakerOpenError):
                raise
            except HelpdeskError:
                doubled = False
                with self._lock:
                    self._batches_since_look = None  # the next batch looks again
            if doubled:
                self.seen()
        with self._lock:
            if not self._guard:
                return
            posted, self._posted = self._posted, OrderedDict()
        for ticket_id, note in posted.items():
            try:
                self.settle_notes(ticket_id, note)
            except (AuthError, BreakerOpenError):
                raise
            except HelpdeskError:
                continue  # the next run's check, or a person, will see it
